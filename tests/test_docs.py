"""The docs cannot drift from behaviour: every ```sql block of README.md and docs/*.md runs against
the emulator, and every script in examples/ runs the way its own header says to run it.

Placeholders in the docs (``<meeting uuid>``, ``<account>``, ``<app>``) and ``{{ name }}`` templates
are filled with the emulator's demo ids. A block that is meant to fail says so with an HTML comment
on the line before it, ``<!-- sql: fails ErrorName -->``, and must then fail with that error.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import httpql
from httpql.cli.main import cli
from httpql.emulator import DEMO_ACCOUNT_ID, DEMO_APP_ID

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = ROOT / "examples"

_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.DOTALL | re.MULTILINE)
_FAILS = re.compile(r"<!--\s*sql:\s*fails\s+(\w+)\s*-->\s*\Z")
_PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>")


@dataclass
class Block:
    where: str  # file:line, for the test id and the failure message
    sql: str
    fails: str | None  # the error class the doc says it raises, or None


def sql_blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    blocks = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        marker = _FAILS.search(text[:m.start()].rstrip() + "\n")
        blocks.append(Block(f"{path.name}:{line}", m.group(1), marker and marker.group(1)))
    return blocks


def filled(sql: str, meeting: str) -> str:
    sql = (sql.replace("<meeting uuid>", meeting).replace("<account>", DEMO_ACCOUNT_ID)
           .replace("<app>", DEMO_APP_ID))
    left = _PLACEHOLDER.findall(sql)
    assert not left, f"placeholders this test does not know how to fill: {left}"
    return sql


BLOCKS = [b for doc in DOCS for b in sql_blocks(doc)]


def test_the_docs_have_sql_blocks_to_check():
    # If the extraction broke (a changed fence style), the parametrized test below would check nothing.
    assert len([b for b in BLOCKS if b.where.startswith("README.md")]) >= 5


def test_a_block_can_be_marked_as_failing(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("text\n\n<!-- sql: fails ProgrammingError -->\n```sql\nSHOW X;\n```\n\n"
                   "```sql\nSHOW PROVIDERS;\n```\n")
    assert [(b.sql, b.fails) for b in sql_blocks(doc)] == [
        ("SHOW X;\n", "ProgrammingError"), ("SHOW PROVIDERS;\n", None)]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.where for b in BLOCKS])
def test_every_sql_block_of_the_docs_runs(conn, block):
    meeting = str(uuid.uuid4())
    sql = filled(block.sql, meeting)
    variables = {"meeting_id": meeting, "account_id": DEMO_ACCOUNT_ID, "app_id": DEMO_APP_ID,
                 "name": "town-hall", "video_config": '{"height": 720, "width": 1280}'}
    if block.fails:
        with pytest.raises(httpql.Error) as info:
            conn.run(sql, variables=variables)
        assert type(info.value).__name__ == block.fails, f"{block.where}: {info.value}"
        return
    results = conn.run(sql, variables=variables)
    assert results, f"{block.where} holds no statement"
    for r in results:
        for status in r.statuses:
            assert 200 <= status < 300, f"{block.where}: HTTP {status}"


# --- examples/ ----------------------------------------------------------------------------------

def documented_command(path: Path, program: str) -> list[str]:
    """The command line an example's header gives for running it (``httpql exec ...`` or
    ``python examples/...``), as arguments after the program name."""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.search(rf"\b{program} (.*examples/{re.escape(path.name)}.*)$", line)
        if m:
            return shlex.split(m.group(1).rstrip("\\ "))
    raise AssertionError(f"{path.name} does not say how to run it ('{program} ...')")


# An example whose documented run ends in a non-zero exit on purpose, and what it must print.
EXPECTED_FAILURE = {"start_each.sql": (1, "3 ok, 1 invalid: record 3")}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.sql")), ids=lambda p: p.name)
def test_every_sql_example_runs_as_its_header_says(emulator, monkeypatch, path):
    args = documented_command(path, "httpql")
    assert args[0] == "exec" and "--emulator" in args, args
    args.remove("--emulator")  # the test's own emulator instead, through the environment
    monkeypatch.chdir(ROOT)
    env = {"CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_API_TOKEN": emulator.token,
           "HTTPQL_PROVIDER_PATH": None}
    result = CliRunner().invoke(cli, [*args, "-o", "json"], env=env)
    code, message = EXPECTED_FAILURE.get(path.name, (0, ""))
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.requests  # it really sent something


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_every_python_example_runs_as_its_docstring_says(path):
    args = documented_command(path, "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and not proc.stderr
