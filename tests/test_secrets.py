"""The API token never shows: not on stdout or stderr of any command, not in --dry-run or
--http-log, not in an exception's str, repr or traceback, not in a log line (httpx and httpcore
at DEBUG included).

A dedicated emulator accepts only TOKEN, so every successful request proves the token was sent.
"""

from __future__ import annotations

import logging
import os
import pickle
import traceback
import uuid

import evidence
import pytest
from conftest import ACCOUNT, APP, RESOURCE, insert_sql, stop_sql

import httpql
from httpql.emulator import Emulator
from httpql.http.secret import Secret

TOKEN = "tok-SECRET-7f3a9"
WRONG = "tok-SECRET-wrong-41c2"
SECRETS = (TOKEN, WRONG, "SECRET-7f3a9", "SECRET-wrong")
PACKAGE_DIR = os.path.dirname(os.path.abspath(httpql.__file__))


def assert_clean(*texts: str, where: str = "") -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in {where}: {text[:2000]}"


@pytest.fixture(scope="module", autouse=True)
def _evidence():
    yield
    evidence.flush()


@pytest.fixture(scope="module")
def _secret_emulator():
    with Emulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
def emu(_secret_emulator):
    _secret_emulator.reset()
    yield _secret_emulator
    _secret_emulator.reset()


@pytest.fixture
def env(emu):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "HTTPQL_"))}
    e.update(CLOUDFLARE_BASE_URL=emu.base_url, CLOUDFLARE_API_TOKEN=TOKEN)
    return e


# --- every CLI command and error path ---------------------------------------------------------------

M = "0b8e9c0e-8a55-4c3e-9a57-0d0f3f1f0a11"
BAD_APP = (f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) "
           f"SELECT '{M}', '{ACCOUNT}', 'no-such-app'")
CLI_CASES = [
    # id, args, fault (kind, params) or None, token override, expected exit code
    ("insert json", ["-o", "json", insert_sql(M)], None, None, 0),
    ("insert table", ["-o", "table", insert_sql(M)], None, None, 0),
    ("insert csv", ["-o", "csv", insert_sql(M, returning="*")], None, None, 0),
    ("insert then stop", [insert_sql(M, returning="") + stop_sql(M)], None, None, 0),
    ("http-log", ["--http-log", insert_sql(M)], None, None, 0),
    ("http-log with fault", ["--http-log", "--retry-max-wait", "0.01", insert_sql(M)],
     ("rate_limit", {"retry_after": 0}), None, 0),
    ("debug", ["--debug", insert_sql(M)], None, None, 0),
    ("debug with fault", ["--debug", "--retry-max-wait", "0.01", insert_sql(M)],
     ("rate_limit", {"retry_after": 0}), None, 0),
    ("401 wrong token debug", ["--debug", insert_sql(M)], None, WRONG, 1),
    ("dry-run insert", ["--dry-run", insert_sql(M)], None, None, 0),
    ("dry-run stop", ["--dry-run", stop_sql(M)], None, None, 0),
    ("dry-run http-log", ["--dry-run", "--http-log", insert_sql(M)], None, None, 0),
    ("show", ["SHOW METHODS IN cloudflare.realtime_kit.livestreams"], None, None, 0),
    ("describe", ["DESCRIBE EXTENDED cloudflare.realtime_kit.livestreams"], None, None, 0),
    ("401 wrong token", [insert_sql(M)], None, WRONG, 1),
    ("401 wrong token http-log", ["--http-log", insert_sql(M)], None, WRONG, 1),
    ("401 wrong token dry-run", ["--dry-run", insert_sql(M)], None, WRONG, 0),
    ("404 bad app", [BAD_APP], None, None, 1),
    ("400 stop without livestream", [stop_sql(M)], None, None, 1),
    ("409 start twice", [insert_sql(M) + insert_sql(M)], None, None, 1),
    ("parse error", ["SELEC * FROM cloudflare.realtime_kit.livestreams"], None, None, 1),
    ("unterminated string", [f"INSERT INTO {RESOURCE} (name) SELECT 'abc"], None, None, 1),
    ("missing params", [f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{M}'"],
     None, None, 1),
    ("bad value", [insert_sql("not-a-uuid")], None, None, 1),
    ("continue on error", ["--continue-on-error", stop_sql(M) + BAD_APP + insert_sql(M)],
     None, None, 1),
    ("503", ["--http-log", insert_sql(M)], ("status", {"status": 503}), None, 1),
    ("500", [insert_sql(M)], ("status", {"status": 500}), None, 1),
    ("429 every time", ["--retry-max-wait", "0.01", insert_sql(M)],
     ("rate_limit", {"retry_after": 0, "times": 10}), None, 1),
    ("drop", ["--http-log", insert_sql(M)], ("drop", {}), None, 1),
    ("timeout", ["--timeout", "0.3", insert_sql(M)], ("delay", {"seconds": 0.8}), None, 1),
    ("html", [insert_sql(M)], ("html", {}), None, 1),
    ("truncated", [insert_sql(M)], ("truncated", {}), None, 1),
    ("non_json", [insert_sql(M)], ("non_json", {}), None, 1),
    ("huge", ["--max-response-bytes", "1000", insert_sql(M)], ("huge", {"size": 5000}), None, 1),
    ("empty", [insert_sql(M)], ("empty", {"after": True}), None, 0),
    ("plain http base url", ["--base-url", "http://example.com/client/v4", insert_sql(M)],
     None, None, 2),
    ("connection refused", ["--http-log", "--retry-max-wait", "0.01",
                            "--base-url", "http://127.0.0.1:9/client/v4", insert_sql(M)],
     None, None, 1),
]


@pytest.mark.parametrize("label, args, fault, token, code", CLI_CASES,
                         ids=[c[0] for c in CLI_CASES])
def test_cli_never_prints_the_token(emu, env, httpql_cli, label, args, fault, token, code):
    if fault is not None:
        kind, params = fault
        params = dict(params)
        emu.inject(kind, times=params.pop("times", 1), **params)
    run_env = dict(env, CLOUDFLARE_API_TOKEN=token) if token else env
    res = httpql_cli("exec", *args, env=run_env)
    assert_clean(res.stdout, res.stderr, where=f"httpql exec ({label})")
    assert "Traceback" not in res.stderr
    assert res.code == code, res.stderr
    if label.startswith("401"):
        assert "dry-run" in label or "HTTP 401" in res.stderr
    if "dry-run" in label:
        assert "Authorization: Bearer ****" in res.stdout
        assert emu.requests == []
    if "http-log" in label and "dry-run" not in label:
        assert "Authorization: Bearer ****" in res.stderr
    if "debug" in label:
        assert "debug: httpx: HTTP Request: POST" in res.stderr  # the log was really on
    for r in emu.requests:  # the emulator's own record holds no token either
        assert_clean(repr(r), where="emulator record")
    if fault is not None and fault[0] == "delay":
        import time

        time.sleep(0.6)  # let the slow handler finish before the next test resets the state
    evidence.record("secret", "CLI commands, --dry-run, --http-log, --debug, error and fault paths",
                    outcome="token absent from stdout and stderr", requests=len(emu.requests))


def test_cli_ok_runs_really_used_the_token(emu, env, httpql_cli):
    res = httpql_cli("exec", "-o", "json", insert_sql(M), env=env)
    assert res.code == 0 and res.json()[0]["success"] is True
    assert emu.requests[0].headers["authorization"] == "<redacted>"


def test_shell_never_prints_the_token(emu, env, httpql_cli):
    script = "\n".join([insert_sql(M), stop_sql(M), stop_sql(M), "SELEC nonsense;",
                        BAD_APP + ";", ".quit"]) + "\n"
    res = httpql_cli("shell", "--http-log", input=script, env=env)
    assert_clean(res.stdout, res.stderr, where="httpql shell")
    assert "Traceback" not in res.stderr
    res = httpql_cli("shell", "--http-log", input=insert_sql(M) + "\n",
                     env=dict(env, CLOUDFLARE_API_TOKEN=WRONG))
    assert_clean(res.stdout, res.stderr, where="httpql shell, wrong token")
    evidence.record("secret", "httpql shell (stdin), ok and error paths",
                    outcome="token absent from stdout and stderr", tried=2,
                    requests=len(emu.requests))


# --- library: exceptions, tracebacks, logging ----------------------------------------------------------


def library_error_paths(emu):
    """(label, connection options, sql, fault) for every error path of the library."""
    m = str(uuid.uuid4())
    ok = dict(base_url=emu.base_url, token=TOKEN, retry_max_wait=0.01, timeout=2)
    return [
        ("401", dict(ok, token=WRONG), insert_sql(m), None),
        ("404", ok, BAD_APP, None),
        ("400", ok, stop_sql(m), None),
        ("parse", ok, "SELEC 1", None),
        ("missing", ok, f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{m}'", None),
        ("bad value", ok, insert_sql("nope"), None),
        ("503", ok, insert_sql(m), ("status", {"status": 503})),
        ("500", ok, insert_sql(m), ("status", {"status": 500})),
        ("429", ok, insert_sql(m), ("rate_limit", {"retry_after": 0, "times": 5})),
        ("drop", ok, insert_sql(m), ("drop", {})),
        ("timeout", dict(ok, timeout=0.2), insert_sql(m), ("delay", {"seconds": 0.5})),
        ("html", ok, insert_sql(m), ("html", {})),
        ("truncated", ok, insert_sql(m), ("truncated", {})),
        ("non_json", ok, insert_sql(m), ("non_json", {})),
        ("huge", dict(ok, max_response_bytes=100), insert_sql(m), ("huge", {"size": 5000})),
        ("refused", dict(ok, base_url="http://127.0.0.1:9/client/v4"), insert_sql(m), None),
        ("http base url", dict(ok, base_url="http://example.com/v4"), insert_sql(m), None),
        ("multi-row", ok, f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) VALUES "
                          f"('{m}', '{ACCOUNT}', '{APP}'), ('{m}', '{ACCOUNT}', '{APP}')", None),
    ]


def raise_each(emu):
    """Yield (label, exception) for every library error path, with the token in play."""
    for label, opts, sql, fault in library_error_paths(emu):
        emu.reset()
        if fault is not None:
            kind, params = fault
            params = dict(params)
            emu.inject(kind, times=params.pop("times", 1), **params)
        try:
            conn = httpql.connect(**opts)  # a bad base URL is refused here
        except httpql.Error as e:
            yield label, e
            continue
        with conn:
            try:
                conn.execute(sql)
            except httpql.Error as e:
                yield label, e
            else:
                pytest.fail(f"{label}: no error")
        if label == "timeout":
            import time

            time.sleep(0.4)


def exception_texts(e: BaseException) -> list[str]:
    texts = [str(e), repr(e), repr(e.args), "".join(traceback.format_exception(e)),
             "".join(traceback.format_exception_only(type(e), e)), repr(vars(e))]
    for value in vars(e).values():
        texts.append(repr(value))
        texts.append(repr(getattr(value, "__dict__", None)))
    cause = e.__cause__ or e.__context__
    if cause is not None:
        texts += [str(cause), repr(cause)]
    return texts


def test_exceptions_never_hold_the_token(emu, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "httpql", "hpack", "h11"):
        caplog.set_level(logging.DEBUG, logger=name)
    seen = 0
    for label, e in raise_each(emu):
        seen += 1
        assert_clean(*exception_texts(e), where=f"exception ({label})")
    assert seen == len(library_error_paths(emu))
    records = caplog.records
    assert any(r.name.startswith("httpx") for r in records)  # httpx did log
    assert any(r.name.startswith("httpcore") for r in records)  # and httpcore at DEBUG
    assert_clean(caplog.text, where="log output")
    for r in records:
        assert_clean(r.getMessage(), repr(r.args), repr(r.__dict__), where=f"log record {r.name}")
    evidence.record("secret", "library exceptions: str, repr, args, vars, formatted traceback",
                    tried=seen, outcome="token absent")
    evidence.record("secret", "logging at DEBUG (httpx, httpcore, root)", tried=len(records),
                    outcome=f"token absent from {len(records)} log records")


def test_tracebacks_with_locals_never_hold_the_token(emu):
    """Tools such as pytest -l, rich and Sentry print each frame's locals; httpql's own frames
    (not the test's, which holds the token in its options) must not hold the token."""
    leaks = []
    for label, e in raise_each(emu):
        te = traceback.TracebackException.from_exception(e, capture_locals=True)
        frames = [f for f in te.stack if f.locals and PACKAGE_DIR in os.path.abspath(f.filename)]
        leaking = [f"{f.name} ({os.path.basename(f.filename)}): "
                   + ", ".join(k for k, v in f.locals.items() if any(s in v for s in SECRETS))
                   for f in frames if any(s in v for s in SECRETS for v in f.locals.values())]
        if leaking:
            leaks.append(f"{label}: {'; '.join(leaking)}")
    evidence.record("secret", "tracebacks with captured locals", tried=1,
                    outcome="token absent" if not leaks else f"LEAK in {len(leaks)} path(s)")
    assert not leaks, "token in frame locals: " + " | ".join(leaks[:3])


def test_successful_calls_log_nothing_secret(emu, caplog):
    caplog.set_level(logging.DEBUG)
    trace = []
    m = str(uuid.uuid4())
    with httpql.connect(base_url=emu.base_url, token=TOKEN, http_log=trace.append) as conn:
        rows = conn.execute(insert_sql(m))
        assert rows[0]["success"] is True
        conn.execute(stop_sql(m))
        cur = conn.cursor()
        cur.execute(insert_sql(m))
        texts = [repr(conn), str(conn), repr(cur), repr(cur.result), repr(cur.fetchall()),
                 repr(conn._client()), repr(vars(conn)), repr(conn.options)]
    assert trace and all("Bearer ****" in line for line in trace if line.startswith(">"))
    assert_clean(*texts, *trace, caplog.text, where="objects, http_log, logs")


def test_dry_run_masks_the_token(emu, capsys):
    with httpql.connect(token=TOKEN, dry_run=True) as conn:
        results = list(conn.run(insert_sql(M) + stop_sql(M)))
    texts = [r.message for r in results] + [repr(r) for r in results]
    texts += [repr(req) for r in results for req in r.requests]
    assert "Authorization: Bearer ****" in results[0].message
    assert_clean(*texts, where="dry-run")


def test_secret_type_hides_itself():
    s = Secret(TOKEN)
    assert_clean(repr(s), str(s), f"{s}", f"{s!r}", where="Secret")
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with httpql.connect(token=TOKEN) as conn:
        with pytest.raises(TypeError):
            pickle.dumps(conn._token)
        assert_clean(repr(vars(conn)), where="connection vars")


def test_token_from_the_environment_is_not_shown(emu, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", WRONG)
    with httpql.connect(base_url=emu.base_url) as conn:
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(insert_sql(str(uuid.uuid4())))
    assert info.value.status == 401
    assert_clean(*exception_texts(info.value), where="env token error")


# --- tokens as they arrive from files and .env lines ------------------------------------------------

@pytest.mark.parametrize("raw", [TOKEN + "\n", TOKEN + " ", TOKEN + "\r\n", "  " + TOKEN + "\t"])
def test_surrounding_whitespace_is_dropped_from_the_token(emu, env, httpql_cli, raw):
    res = httpql_cli("exec", insert_sql(M), env=dict(env, CLOUDFLARE_API_TOKEN=raw))
    assert res.code == 0, res.stderr
    assert_clean(res.stdout, res.stderr, where="whitespace token")
    assert len(emu.requests) == 1


@pytest.mark.parametrize("raw", ["tok-SECRET 7f3a9", "tok-SECRET\n7f3a9", "tok-SECRET-7f3a9\x07",
                                 "tok-SECRET-7f3a9é"])
def test_a_token_no_header_can_carry_is_refused_without_showing_it(emu, env, httpql_cli, raw):
    res = httpql_cli("exec", insert_sql(M), env=dict(env, CLOUDFLARE_API_TOKEN=raw))
    assert res.code == 1
    assert "CLOUDFLARE_API_TOKEN" in res.stderr and "position" in res.stderr
    assert_clean(res.stdout, res.stderr, where="malformed token")
    assert emu.requests == []
    with pytest.raises(httpql.OperationalError) as info:
        httpql.connect(base_url=emu.base_url, token=raw)
    assert_clean(str(info.value), repr(info.value), repr(info.value.args), where="connect(token=)")


def test_no_exception_in_the_chain_holds_the_token(emu):
    """A failure replaces httpx's exception; that exception (which holds the request and its
    Authorization header) must not stay reachable through __context__ or __cause__."""
    emu.inject("status", status=503)
    with httpql.connect(base_url=emu.base_url, token=TOKEN, retry_max_wait=0.01) as conn:
        with pytest.raises(httpql.Error) as info:
            conn.execute(insert_sql(M))
    seen, e = [], info.value
    while e is not None and len(seen) < 10:
        seen.append(e)
        e = e.__cause__ or e.__context__
    for e in seen:
        request = getattr(e, "request", None) if hasattr(e, "_request") else None
        assert request is None or "authorization" not in request.headers
        assert_clean(str(e), repr(e), repr(vars(e)), where=type(e).__name__)
    assert len(seen) == 1, [type(x).__name__ for x in seen]


def test_the_debug_log_filter_masks_bearer_values_and_credential_variables(monkeypatch):
    import logging

    from httpql.cli.debuglog import MaskCredentials as _MaskCredentials

    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN + "\n")
    record = logging.LogRecord("httpx", logging.DEBUG, __file__, 1,
                               "headers %s then %s", ({"authorization": f"Bearer {WRONG}"},
                                                      f"raw {TOKEN} in text"), None)
    assert _MaskCredentials({"CLOUDFLARE_API_TOKEN"}).filter(record)
    assert_clean(record.getMessage(), where="masked debug record")
    assert record.getMessage().count("****") == 2
