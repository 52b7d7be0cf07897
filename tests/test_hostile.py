"""Hostile input: path parameters that try to change the route, over-long statements and values,
and random or mutated statements fed to the parser and planner.

Path encoding is proven against what the emulator received on the request line (raw_path), not
against the planner's own idea of the URL.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from urllib.parse import unquote, urlsplit

import evidence
import httpx
import pytest
from conftest import ACCOUNT, APP, RESOURCE, insert_sql, stop_sql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import httpql
from httpql.sql.parse import parse_script

HOSTILE = [
    "..", ".", "../..", "../../../../etc/passwd", "./", "/", "//", "a/b", "a/../b", "..%2F..",
    "?", "?x=1", "a?b=c", "#", "#frag", "a#b", "%2F", "%2f", "%2e%2e", "%252F", "%", "%%", "%zz",
    "%00", "\x00", "\n", "\r\n", "\t", "\x7f", " ", "a b", ";", "&", "+", "=", "\\", "..\\..",
    "@", ":", "~", "ü", "日本語", "\U0001f600", "\u202e", "\ufeff", "demo-app/../demo-app",
    "demo-app%2F..", "demo-app?", "demo-app#",
]
SEGMENT_RE = re.compile(r"(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+")
SEGMENT_OF = {"account_id": 4, "app_id": 7}  # index in "/client/v4/accounts/A/realtime/kit/B/..."


@pytest.fixture(scope="module", autouse=True)
def _evidence():
    yield
    for (area, case), n in sorted(TRIED.items()):
        outcome = OUTCOMES.get((area, case), "only httpql.Error escaped, each with a message")
        evidence.record(area, case, tried=n, outcome=outcome, requests=REQUESTS[(area, case)])
    evidence.flush()


TRIED: Counter = Counter()
REQUESTS: Counter = Counter()  # requests the emulator received, per evidence row
OUTCOMES: dict[tuple[str, str], str] = {}


def statement(route: str, meeting: str, account: str = ACCOUNT, app: str = APP):
    """(sql with placeholders, params) for one route, values bound as data."""
    if route == "start":
        return (f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) SELECT ?, ?, ?",
                [meeting, account, app])
    if route == "create":
        return f"INSERT INTO {RESOURCE} (account_id, app_id) SELECT ?, ?", [account, app]
    return (f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id=?, @account_id=?, "
            "@app_id=?", [meeting, account, app])


# --- path parameters against the emulator ----------------------------------------------------------


@pytest.fixture
def baselines(emulator, conn, meeting_id):
    """The raw path of each route with ordinary values, as the emulator received it."""
    out = {}
    for route in ("start", "stop", "create"):
        emulator.reset()
        sql, params = statement(route, meeting_id)
        try:
            conn.execute(sql, params)
        except httpql.ApiError:
            pass  # stop without a live stream: 400, but the route is what matters
        (req,) = emulator.requests
        out[route] = req.raw_path
    emulator.reset()
    return out


@pytest.mark.parametrize("route", ["start", "stop", "create"])
@pytest.mark.parametrize("field", ["app_id", "account_id"])
def test_hostile_path_values_cannot_change_the_route(emulator, conn, meeting_id, baselines,
                                                     field, route):
    base = baselines[route].split("/")
    failures = []
    for value in HOSTILE:
        emulator.reset()
        kwargs = {"account": value} if field == "account_id" else {"app": value}
        sql, params = statement(route, meeting_id, **kwargs)
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(sql, params)
        err = info.value
        reqs = emulator.requests
        assert len(reqs) == 1, (value, [r.raw_path for r in reqs])
        raw = reqs[0].raw_path
        segs = raw.split("/")
        i = SEGMENT_OF[field]
        problems = []
        if len(segs) != len(base):
            problems.append(f"{len(segs)} segments, not {len(base)}")
        elif [s for j, s in enumerate(segs) if j != i] != [s for j, s in enumerate(base) if j != i]:
            problems.append("another segment changed")
        if "?" in raw or "#" in raw or not raw.isascii() or any(c in raw for c in " \t\r\n\x00"):
            problems.append("query, fragment, space, control or non-ASCII on the request line")
        if len(segs) > i and not (SEGMENT_RE.fullmatch(segs[i]) and segs[i] not in (".", "..")):
            problems.append(f"segment {segs[i]!r} is not one percent-encoded segment")
        if len(segs) > i and unquote(segs[i], errors="strict") != value:
            problems.append(f"segment decodes to {unquote(segs[i])!r}")
        if err.status != 404 or err.api_message != "Error: resource not found":
            problems.append(f"answer {err.status} {err.api_message!r}, not the route's 404")
        if problems:
            failures.append(f"{value!r} -> {raw}: {'; '.join(problems)}")
    key = ("hostile", f"path parameter values ({len(HOSTILE)} kinds), every field and route")
    TRIED[key] += len(HOSTILE)
    REQUESTS[key] += len(HOSTILE)  # exactly one each, asserted above
    OUTCOMES[("hostile", f"path parameter values ({len(HOSTILE)} kinds), every field and route")] = (
        "one percent-encoded segment each; route unchanged; emulator answered 404 resource not "
        "found, 1 request per value" if not failures else f"{len(failures)} value(s) changed the "
        "route")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", [
    "../../x", f"{uuid.uuid4()}/stop", f"{uuid.uuid4()}?x=1", f"{uuid.uuid4()}#", "%2e%2e",
    f"{uuid.uuid4()}/../{uuid.uuid4()}", "", " ", "\x00",
])
def test_hostile_meeting_ids_are_refused_before_sending(emulator, conn, value):
    sql, params = statement("start", value)
    with pytest.raises(httpql.DataError, match="meeting_id"):
        conn.execute(sql, params)
    assert emulator.requests == []
    TRIED[("hostile", "meeting_id that is not a UUID (../, /stop, ?, #)")] += 1
    OUTCOMES[("hostile", "meeting_id that is not a UUID (../, /stop, ?, #)")] = (
        "DataError before sending; no request")


@pytest.mark.parametrize("value", ["", "x" * 33, "日" * 33])
def test_empty_and_over_long_path_values_are_refused(emulator, conn, meeting_id, value):
    sql, params = statement("start", meeting_id, app=value)
    with pytest.raises(httpql.DataError, match="app_id"):
        conn.execute(sql, params)
    assert emulator.requests == []


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", "\udc80"])
def test_lone_surrogates_in_a_path_value_are_a_clear_error(emulator, conn, meeting_id, value):
    sql, params = statement("start", meeting_id, app=value)
    try:
        conn.execute(sql, params)
    except httpql.Error as e:
        assert str(e).strip()
        outcome = f"{type(e).__name__}: {e}"
    except Exception as e:
        outcome = f"{type(e).__name__} escaped (not an httpql.Error): {e}"
        TRIED[("hostile", "lone surrogate in a path value")] += 1
        OUTCOMES[("hostile", "lone surrogate in a path value")] = outcome
        pytest.fail(outcome)
    TRIED[("hostile", "lone surrogate in a path value")] += 1
    OUTCOMES.setdefault(("hostile", "lone surrogate in a path value"), outcome)
    assert emulator.requests == []


SAFE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=32)


@settings(max_examples=300, deadline=None)
@given(value=SAFE_TEXT, field=st.sampled_from(["account_id", "app_id"]),
       route=st.sampled_from(["start", "stop", "create"]))
def test_any_path_value_is_exactly_one_segment(value, field, route):
    meeting = "0b8e9c0e-8a55-4c3e-9a57-0d0f3f1f0a11"
    kwargs = {"account": value} if field == "account_id" else {"app": value}
    sql, params = statement(route, meeting, **kwargs)
    _, base_params = statement(route, meeting)
    with httpql.connect(dry_run=True) as c:
        (req,) = list(c.run(sql, params))[0].requests
        (base,) = list(c.run(sql, base_params))[0].requests
    sent = httpx.URL(req.url)  # what httpx puts on the request line
    segs, base_segs = sent.raw_path.decode("ascii").split("/"), httpx.URL(base.url).raw_path.decode(
        "ascii").split("/")
    i = SEGMENT_OF[field]
    assert len(segs) == len(base_segs)
    assert urlsplit(req.url).query == "" and urlsplit(req.url).fragment == ""
    assert SEGMENT_RE.fullmatch(segs[i]) and segs[i] not in (".", "..")
    assert unquote(segs[i], errors="strict") == value
    assert [s for j, s in enumerate(segs) if j != i] == [s for j, s in enumerate(base_segs) if j != i]
    TRIED[("hostile", "random path values (hypothesis, dry run)")] += 1
    OUTCOMES[("hostile", "random path values (hypothesis, dry run)")] = (
        "always exactly one percent-encoded segment that decodes to the value")


# --- over-long statements and values ----------------------------------------------------------------


def test_over_long_statement_is_refused_without_a_request(emulator, conn, meeting_id):
    sql = insert_sql(meeting_id) + " " * 1_000_001
    with pytest.raises(httpql.ParseError) as info:
        conn.execute(sql)
    assert "limit is 1,000,000" in str(info.value) and f"{len(sql):,}" in str(info.value)
    comment = f"-- {'x' * 1_000_000}\n" + insert_sql(meeting_id)
    with pytest.raises(httpql.ParseError, match="limit is 1,000,000"):
        conn.execute(comment)
    assert emulator.requests == []
    TRIED[("hostile", "statement over 1,000,000 characters")] += 2
    OUTCOMES[("hostile", "statement over 1,000,000 characters")] = (
        f"ParseError: {info.value}; no request")


def test_over_long_statement_via_the_cli(emulator, httpql_cli, meeting_id):
    res = httpql_cli("exec", "-f", "-", input=insert_sql(meeting_id) + "\n" * 1_000_001)
    assert res.code == 1 and "Traceback" not in res.stderr
    assert "limit is 1,000,000" in res.stderr
    assert emulator.requests == []
    TRIED[("hostile", "statement over 1,000,000 characters")] += 1


@pytest.mark.parametrize("how", ["literal", "param", "json", "template"])
def test_over_long_value_is_refused_without_a_request(emulator, conn, meeting_id, how):
    long = "a" * 100_001
    if how == "literal":
        run = lambda: conn.execute(insert_sql(meeting_id, name=long))  # noqa: E731
    elif how == "param":
        sql, params = statement("start", meeting_id, app=long)
        run = lambda: conn.execute(sql, params)  # noqa: E731
    elif how == "json":
        run = lambda: conn.execute(insert_sql(meeting_id, video='{"height": 1' + " " * 100_001  # noqa: E731
                                              + "}"))
    else:
        sql = insert_sql(meeting_id, name="{{ n }}")
        run = lambda: conn.execute(sql, variables={"n": long})  # noqa: E731
    with pytest.raises(httpql.DataError) as info:
        run()
    assert "100,001 characters long" in str(info.value) or "100,0" in str(info.value)
    # app_id's own limit (32, from the manifest) is the one that matters to the user
    limit = "at most 32 are allowed" if how == "param" else "limit is 100,000"
    assert limit in str(info.value)
    assert emulator.requests == []
    TRIED[("hostile", "value over 100,000 characters (literal, ?, JSON, template)")] += 1
    OUTCOMES[("hostile", "value over 100,000 characters (literal, ?, JSON, template)")] = (
        f"DataError: {info.value}; no request")


@pytest.mark.parametrize("label, video", [
    ("array", "[" * 50_000 + "]" * 50_000),
    ("object", '{"a":' * 16_000 + "1" + "}" * 16_000),
    ("mixed", '[{"a":' * 9_000 + "1" + "}]" * 9_000),
])
def test_deeply_nested_json_value_is_a_clear_error(emulator, conn, meeting_id, label, video):
    assert len(video) <= 100_000  # under the value limit: only nesting is hostile
    outcome = None
    try:
        conn.execute(insert_sql(meeting_id, video=video))
    except httpql.Error as e:
        assert str(e).strip()
        outcome = f"{type(e).__name__}: {str(e)[:120]}"
    except Exception as e:  # a bug: record it, then fail
        outcome = f"{type(e).__name__} escaped: {str(e)[:120]}"
        OUTCOMES[("hostile", "deeply nested JSON value (under the length limit)")] = outcome
        TRIED[("hostile", "deeply nested JSON value (under the length limit)")] += 1
        pytest.fail(outcome)
    TRIED[("hostile", "deeply nested JSON value (under the length limit)")] += 1
    OUTCOMES.setdefault(("hostile", "deeply nested JSON value (under the length limit)"), outcome)
    assert emulator.requests == []


def test_deeply_nested_at_at_json_is_a_clear_error(emulator, conn, meeting_id):
    body = "[" * 50_000 + "]" * 50_000
    sql = (f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id='{meeting_id}', "
           f"@account_id='{ACCOUNT}', @app_id='{APP}', @@json='{body}'")
    try:
        conn.execute(sql)
    except httpql.Error as e:
        assert str(e).strip()
    except Exception as e:
        pytest.fail(f"{type(e).__name__} escaped: {str(e)[:200]}")
    assert emulator.requests == []


def test_huge_integer_in_a_json_value_is_a_clear_error(emulator, conn, meeting_id):
    video = '{"height": ' + "9" * 5_000 + ', "width": 1}'
    try:
        conn.execute(insert_sql(meeting_id, video=video))
    except httpql.Error as e:
        assert str(e).strip()
        outcome = f"{type(e).__name__}: {str(e)[:120]}"
    except Exception as e:
        outcome = f"{type(e).__name__} escaped: {str(e)[:120]}"
        TRIED[("hostile", "5,000-digit integer inside a JSON value")] += 1
        OUTCOMES[("hostile", "5,000-digit integer inside a JSON value")] = outcome
        pytest.fail(outcome)
    TRIED[("hostile", "5,000-digit integer inside a JSON value")] += 1
    OUTCOMES[("hostile", "5,000-digit integer inside a JSON value")] = outcome
    assert emulator.requests == []


def test_deeply_nested_sql_is_a_clear_error(conn):
    with pytest.raises(httpql.Error) as info:
        conn.execute("SELECT " + "(" * 5_000 + "1" + ")" * 5_000)
    assert str(info.value).strip()


@pytest.mark.parametrize("value", [b"bytes", bytearray(b"x"), object(), {1, 2}, 1 + 2j],
                         ids=["bytes", "bytearray", "object", "set", "complex"])
def test_unsupported_parameter_types_are_a_clear_error(emulator, conn, meeting_id, value):
    sql, params = statement("start", meeting_id, app=value)
    try:
        conn.execute(sql, params)
    except httpql.Error as e:
        assert str(e).strip()
        outcome = f"{type(e).__name__}"
    except Exception as e:
        outcome = f"{type(e).__name__} escaped: {e}"
        TRIED[("hostile", "? parameter of an unsupported Python type")] += 1
        OUTCOMES[("hostile", "? parameter of an unsupported Python type")] = outcome
        pytest.fail(outcome)
    TRIED[("hostile", "? parameter of an unsupported Python type")] += 1
    OUTCOMES.setdefault(("hostile", "? parameter of an unsupported Python type"), outcome)
    assert emulator.requests == []


# --- random and mutated statements -------------------------------------------------------------------

M = "0b8e9c0e-8a55-4c3e-9a57-0d0f3f1f0a11"
CORPUS = [
    insert_sql(M),
    insert_sql(None, video=None),
    insert_sql(M, returning="*"),
    insert_sql(M, returning="data.id AS id, data.stream_key, success"),
    stop_sql(M),
    f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) VALUES ('{M}', 'a', 'b'), "
    f"('{M}', 'c', 'd') RETURNING data.id;",
    f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id='{M}', @account_id='a', "
    "@app_id='b', @@json='{\"name\": \"x\", \"video_config\": {\"height\": 720}}';",
    "SHOW PROVIDERS;",
    "SHOW SERVICES IN cloudflare;",
    "SHOW RESOURCES IN cloudflare.realtime_kit LIKE '%live%';",
    f"SHOW METHODS IN {RESOURCE};",
    f"DESCRIBE {RESOURCE};",
    f"DESCRIBE EXTENDED {RESOURCE};",
    f"SELECT * FROM {RESOURCE} WHERE meeting_id = '{M}';",
    f"DELETE FROM {RESOURCE} WHERE meeting_id = '{M}';",
    f"UPDATE {RESOURCE} SET name = 'x' WHERE meeting_id = '{M}';",
    f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) SELECT ?, :acct, '{{{{ app }}}}';",
    "SHOW SERVICES IN cloudflare; SHOW PROVIDERS; " + stop_sql(M),
    "/* comment */ SHOW PROVIDERS -- trailing\n;",
]
SPECIAL = list("'\";(),.@=*?:{}[]%-/\\`$#\n\t \x00") + [
    "''", "--", "/*", "*/", "@@json", "{{", "}}", "{{ x }}", "NULL", "TRUE", "SELECT", "INSERT",
    "INTO", "EXEC", "FROM", "WHERE", "AND", "OR", "VALUES", "RETURNING", "SHOW", "DESCRIBE", "IN",
    "LIKE", "UNION", "JOIN", "1e309", "-1", "9" * 5000, "\u202e", "日本", "\ufeff",
]
SQL_CHARS = st.characters(exclude_categories=("Cs",))
PIECE = st.one_of(st.sampled_from(SPECIAL), st.text(SQL_CHARS, min_size=1, max_size=3))


@st.composite
def mutated_statement(draw):
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "swap", "duplicate", "truncate"]))
        pos = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:pos] + draw(PIECE) + text[pos:]
        elif op == "delete":
            end = draw(st.integers(pos, min(len(text), pos + 12)))
            text = text[:pos] + text[end:]
        elif op == "replace":
            text = text[:pos] + draw(PIECE) + text[pos + 1:]
        elif op == "truncate":
            text = text[:pos]
        else:
            tokens = re.split(r"(\s+)", text)
            words = [i for i, t in enumerate(tokens) if t.strip()]
            if len(words) >= 2:
                a = draw(st.sampled_from(words))
                b = draw(st.sampled_from(words))
                if op == "swap":
                    tokens[a], tokens[b] = tokens[b], tokens[a]
                else:
                    tokens.insert(b, tokens[a] + " ")
                text = "".join(tokens)
    return text


def run_dry(sql: str, case: str, params=None) -> None:
    TRIED[("fuzz", case)] += 1
    with httpql.connect(dry_run=True) as c:
        try:
            for result in c.run(sql, params):
                assert result.dry_run or result.columns is not None
        except httpql.Error as e:
            assert str(e).strip(), f"empty message from {type(e).__name__} for {sql!r}"
            assert isinstance(e.message, str) and e.message.strip()
        except Exception as e:
            OUTCOMES[("fuzz", case)] = (f"{type(e).__name__} escaped (not an httpql.Error): "
                                        f"{str(e)[:100]}")
            raise


_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(sql=st.lists(st.one_of(SQL_CHARS, st.sampled_from(SPECIAL)), max_size=80).map("".join))
def test_random_text_only_raises_httpql_errors(sql):
    run_dry(sql, "random text through parse, bind and plan (hypothesis, dry run)")


@_FUZZ
@given(sql=mutated_statement())
def test_mutated_statements_only_raise_httpql_errors(sql):
    run_dry(sql, "mutated valid statements: insert, delete, replace, swap tokens (hypothesis)")


@_FUZZ
@given(sql=mutated_statement(),
       params=st.one_of(st.none(), st.lists(st.one_of(st.none(), st.booleans(), st.integers(),
                                                      st.floats(), st.text(SQL_CHARS, max_size=20)),
                                            max_size=4),
                        st.dictionaries(st.sampled_from(["acct", "app", "x"]),
                                        st.text(SQL_CHARS, max_size=10), max_size=3)))
def test_mutated_statements_with_parameters_only_raise_httpql_errors(sql, params):
    run_dry(sql, "mutated statements with random ? / :name parameters (hypothesis)", params)


ODD_STATEMENTS = [  # found by fuzzing; each must be an httpql.Error with a message
    "DELETE \x16FR",
    "DELETE \x16FRO--M cloudflare.realti",
    f"UPDATE {RESOURCE} SET 'x';",
    f"UPDATE {RESOURCE} SET '{M}'; name = 'x' WHERE meeting_id '{M}'; =",
    f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) SELECT ?, ?, ?",
    f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) SELECT :m, :a, :b",
    f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id=?, @account_id='a', @app_id='b'",
]


@pytest.mark.parametrize("sql", ODD_STATEMENTS)
def test_odd_statements_found_by_fuzzing(sql):
    run_dry(sql, "statements found by fuzzing (regressions)")


@pytest.mark.parametrize("video", [
    {"height": {1, 2}}, {"height": float("nan")}, '{"height": NaN}', '{"width": Infinity}',
    {1: 720}, {"height": __import__("datetime").date(2026, 1, 1)},
], ids=["set", "nan", "nan-text", "infinity-text", "int-key", "date"])
def test_values_json_cannot_carry_are_refused_before_any_request(emulator, conn, meeting_id, video):
    """Checked all through the value: found only when sending, they would fail after the
    statements before them had been sent."""
    sql = (f"INSERT INTO {RESOURCE} (name, video_config, meeting_id, account_id, app_id) "
           "VALUES (?, ?, ?, ?, ?)")
    with pytest.raises(httpql.DataError) as info:
        conn.execute(f"SHOW PROVIDERS; {sql}", ["a", video, meeting_id, ACCOUNT, APP])
    assert "video_config" in str(info.value)
    assert emulator.requests == []


@pytest.mark.parametrize("sql", [
    f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='m', @account_id=1e999, @app_id='b'",
    f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='m', @account_id={'9' * 5000}, "
    "@app_id='b'",
])
def test_numbers_too_large_are_a_short_clear_error(sql):
    with pytest.raises(httpql.ParseError) as info:
        parse_script(sql)
    assert "too large" in str(info.value) and len(str(info.value)) < 300
