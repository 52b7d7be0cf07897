"""Shared fixtures: one emulator on a free loopback port, the CLI in a real subprocess or in-process,
and a library connection pointed at the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass

import pytest

# The manifest index goes to a folder of this run, not the user's cache (subprocesses inherit it).
os.environ["HTTPQL_CACHE_DIR"] = tempfile.mkdtemp(prefix="httpql-cache-")

import httpql  # noqa: E402
from httpql.emulator import DEMO_ACCOUNT_ID, DEMO_APP_ID, Emulator

ACCOUNT = DEMO_ACCOUNT_ID
APP = DEMO_APP_ID
RESOURCE = "cloudflare.realtime_kit.livestreams"

# The INSERT and EXEC examples exactly as stackql's page for this resource prints them: users copy
# them, so they must run once their {{ }} placeholders are filled.
DOC_INSERT = """INSERT INTO cloudflare.realtime_kit.livestreams (
name,
video_config,
meeting_id,
account_id,
app_id
)
SELECT
'{{ name }}',
'{{ video_config }}',
'{{ meeting_id }}',
'{{ account_id }}',
'{{ app_id }}'
RETURNING
data,
success
;"""

DOC_EXEC = """EXEC cloudflare.realtime_kit.livestreams.stop_livestreaming_a_meeting
@meeting_id='{{ meeting_id }}' --required,
@account_id='{{ account_id }}' --required,
@app_id='{{ app_id }}' --required
;"""


@pytest.fixture(scope="session")
def _emulator():
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(_emulator):
    """The running emulator, with no recorded requests, state or faults left from other tests."""
    _emulator.reset()
    yield _emulator
    _emulator.reset()


@pytest.fixture
def meeting_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def conn(emulator):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token) as c:
        yield c


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def cli_env(emulator):
    """Environment for a CLI subprocess that talks to the test emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "HTTPQL_"))
           or k == "HTTPQL_CACHE_DIR"}
    env.update(CLOUDFLARE_BASE_URL=emulator.base_url, CLOUDFLARE_API_TOKEN=emulator.token)
    return env


@pytest.fixture
def httpql_cli(cli_env):
    """Run ``httpql ARGS...`` as a real process; returns exit code, stdout and stderr."""

    def run(*args: str, input: str | None = None, env: dict | None = None) -> CliResult:
        proc = subprocess.run([sys.executable, "-m", "httpql", *args], input=input,
                              capture_output=True, text=True, env=env or cli_env, timeout=60)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


def insert_sql(meeting: str | None, name: str = "town-hall", returning: str = "data, success",
               video: str | None = '{"height": 720, "width": 1280}') -> str:
    cols, vals = ["name"], [f"'{name}'"]
    if video is not None:
        cols.append("video_config")
        vals.append(f"'{video}'")
    if meeting is not None:
        cols.append("meeting_id")
        vals.append(f"'{meeting}'")
    cols += ["account_id", "app_id"]
    vals += [f"'{ACCOUNT}'", f"'{APP}'"]
    ret = f" RETURNING {returning}" if returning else ""
    return f"INSERT INTO {RESOURCE} ({', '.join(cols)}) SELECT {', '.join(vals)}{ret};"


def stop_sql(meeting: str) -> str:
    return (f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{meeting}', "
            f"@account_id='{ACCOUNT}', @app_id='{APP}';")


@pytest.fixture(autouse=True)
def _no_debug_logging_left_behind():
    """`httpql exec --debug` run in-process attaches a stderr handler to httpx's loggers; take it
    off again so later tests' output and log captures are their own."""
    yield
    import logging

    from httpql.cli import debuglog, main

    for name in ("httpx", "httpcore"):
        log = logging.getLogger(name)
        for handler in [h for h in log.handlers if isinstance(h, debuglog.Stderr)]:
            log.removeHandler(handler)
        log.setLevel(logging.NOTSET)
    main._DEBUG["on"] = False


def pytest_sessionstart(session):
    """A run of the whole suite starts the reliability evidence afresh, so cases renamed or
    removed since the last run do not linger in docs/reliability.md's table; a partial run
    (a file, -k) updates only its own rows."""
    import evidence

    config = session.config
    paths = [os.path.abspath(a.split("::")[0]) for a in config.args]
    whole = all(os.path.isdir(p) for p in paths) and not config.option.keyword \
        and not config.option.markexpr
    if whole and evidence.EVIDENCE_FILE.exists():
        evidence.EVIDENCE_FILE.unlink()
