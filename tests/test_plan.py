"""The planner: which method serves a statement, the exact request, and every bad input caught
before anything is sent (checked in dry-run mode and against the emulator)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote, urlsplit

import pytest
from conftest import ACCOUNT, APP, RESOURCE, insert_sql, stop_sql

import httpql

BASE = "https://api.cloudflare.com/client/v4"
M = "0b6e2a34-5f1d-4c8e-9a7b-1c2d3e4f5a6b"
KIT = f"{BASE}/accounts/acc/realtime/kit/app"


@pytest.fixture
def dry(monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_BASE_URL", raising=False)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.delenv("HTTPQL_PROVIDER_PATH", raising=False)
    with httpql.connect(dry_run=True) as c:
        yield c


def requests_of(conn, sql):
    out = []
    for result in conn.run(sql):
        assert result.dry_run
        out += result.requests
    return out


def ins(cols: dict, returning: str | None = None) -> str:
    vals = ", ".join("NULL" if v is None else f"'{v}'" for v in cols.values())
    ret = f" RETURNING {returning}" if returning else ""
    return f"INSERT INTO {RESOURCE} ({', '.join(cols)}) SELECT {vals}{ret}"


# --- method choice, URLs and bodies -----------------------------------------------------------

def test_insert_with_meeting_id_starts_the_meeting_livestream(dry):
    sql = ins({"name": "town-hall", "video_config": '{"height": 720, "width": 1280}', "meeting_id": M,
               "account_id": "acc", "app_id": "app"}, "data, success")
    [req] = requests_of(dry, sql)
    assert req.operation == "start_livestreaming_a_meeting"
    assert req.method == "POST"
    assert req.url == f"{KIT}/meetings/{M}/livestreams"
    assert req.body == {"name": "town-hall", "video_config": {"height": 720, "width": 1280}}
    assert json.loads(req.content) == req.body


@pytest.mark.parametrize(("extra", "body"), [
    ({}, {}),
    ({"name": "x"}, {"name": "x"}),
    ({"video_config": '{"width": 640}'}, {"video_config": {"width": 640}}),
    ({"name": None}, {"name": None}),
])
def test_start_body_has_only_the_fields_given(dry, extra, body):
    [req] = requests_of(dry, ins({"meeting_id": M, "account_id": "acc", "app_id": "app", **extra}))
    assert req.operation == "start_livestreaming_a_meeting"
    assert req.body == body


def test_column_order_does_not_matter(dry):
    [req] = requests_of(dry, ins({"app_id": "app", "name": "n", "account_id": "acc", "meeting_id": M}))
    assert req.url == f"{KIT}/meetings/{M}/livestreams"
    assert req.body == {"name": "n"}


def test_insert_without_meeting_id_creates_an_independent_livestream(dry):
    [req] = requests_of(dry, ins({"name": "solo", "account_id": "acc", "app_id": "app"}))
    assert req.operation == "create_independent_livestream"
    assert (req.method, req.url) == ("POST", f"{KIT}/livestreams")
    assert req.body == {"name": "solo"}


def test_exec_stop_posts_without_a_body(dry):
    sql = (f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{M}', @account_id='acc', "
           "@app_id='app'")
    [result] = dry.run(sql)
    [req] = result.requests
    assert (req.method, req.url) == ("POST", f"{KIT}/meetings/{M}/active-livestream/stop")
    assert req.content is None
    assert "Content-Type" not in req.headers()
    assert result.message.splitlines()[0] == f"POST {KIT}/meetings/{M}/active-livestream/stop"


def test_multi_row_insert_plans_one_request_per_row_in_order(dry):
    other = str(uuid.UUID(int=1))
    sql = (f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) VALUES "
           f"('a', '{M}', 'acc', 'app'), ('b', '{other}', 'acc', 'app')")
    reqs = requests_of(dry, sql)
    assert [r.url for r in reqs] == [f"{KIT}/meetings/{M}/livestreams",
                                     f"{KIT}/meetings/{other}/livestreams"]
    assert [r.body for r in reqs] == [{"name": "a"}, {"name": "b"}]


def test_union_all_rows_plan_one_request_each(dry):
    sql = (f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 'a', 'acc', 'app' "
           "UNION ALL SELECT 'b', 'acc', 'app2'")
    reqs = requests_of(dry, sql)
    assert [(r.url, r.body) for r in reqs] == [
        (f"{KIT}/livestreams", {"name": "a"}),
        (f"{BASE}/accounts/acc/realtime/kit/app2/livestreams", {"name": "b"})]


def test_json_body_with_at_at_json(dry):
    sql = (f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id='{M}', @account_id='acc', "
           "@app_id='app', @@json='{\"name\": \"x\", \"video_config\": {\"height\": 480}}'")
    [req] = requests_of(dry, sql)
    assert req.url == f"{KIT}/meetings/{M}/livestreams"
    assert req.body == {"name": "x", "video_config": {"height": 480}}


def test_quoted_integer_at_top_level_and_exact_integer_inside_json(dry):
    [req] = requests_of(dry, ins({"video_config": '{"height": 720}', "meeting_id": M,
                                  "account_id": "acc", "app_id": "app"}))
    assert req.body == {"video_config": {"height": 720}}
    assert isinstance(req.body["video_config"]["height"], int)


def test_dry_run_text_shows_method_url_masked_headers_and_body(dry):
    [result] = dry.run(ins({"name": "n", "meeting_id": M, "account_id": "acc", "app_id": "app"}))
    lines = result.message.splitlines()
    assert lines[0] == f"POST {KIT}/meetings/{M}/livestreams"
    assert "Authorization: Bearer ****" in lines
    assert "Content-Type: application/json" in lines
    body = result.message.split("\n\n", 1)[1]
    assert json.loads(body) == {"name": "n"}


def test_dry_run_needs_no_token_and_base_url_env_is_honoured(monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", "https://proxy.example.com/cf/")
    with httpql.connect(dry_run=True) as c:
        [req] = requests_of(c, ins({"account_id": "acc", "app_id": "app"}))
    assert req.url == "https://proxy.example.com/cf/accounts/acc/realtime/kit/app/livestreams"


def test_base_url_option_wins(dry):
    with httpql.connect(dry_run=True, base_url="https://other.example.com/v4") as c:
        [req] = requests_of(c, ins({"account_id": "acc", "app_id": "app"}))
    assert req.url == "https://other.example.com/v4/accounts/acc/realtime/kit/app/livestreams"


def test_plain_http_base_url_is_refused_off_loopback():
    with pytest.raises(httpql.InterfaceError, match="https"):
        httpql.connect(dry_run=True, base_url="http://example.com/v4")


# --- path parameters are one segment each -----------------------------------------------------

@pytest.mark.parametrize(("value", "segment"), [
    ("../x", "..%2Fx"),
    ("a/b", "a%2Fb"),
    ("?", "%3F"),
    ("#", "%23"),
    ("%2F", "%252F"),
    ("ünï", "%C3%BCn%C3%AF"),
    ("a b", "a%20b"),
    ("..", None),
    (".", None),
    ("a;b=c&d", None),
])
def test_path_parameters_are_percent_encoded_as_one_segment(dry, value, segment):
    [req] = requests_of(dry, ins({"account_id": value, "app_id": "app"}))
    parts = urlsplit(req.url)
    assert parts.query == "" and parts.fragment == ""
    segments = parts.path.split("/")
    assert segments[:4] == ["", "client", "v4", "accounts"]
    assert segments[5:] == ["realtime", "kit", "app", "livestreams"]
    assert unquote(segments[4]) == value
    assert segments[4] not in (".", "..")
    if segment is not None:
        assert segments[4] == segment


@pytest.mark.parametrize("value", ["../x", "a/b", "?", "#", "%2F", "ünï", "..", ".", "a\\b", "%2e%2e"])
def test_emulator_receives_the_path_parameter_as_one_segment(conn, emulator, value):
    with pytest.raises(httpql.ApiError) as info:
        conn.execute(insert_sql(None, returning="", video=None).replace(f"'{ACCOUNT}'", f"'{value}'"))
    assert info.value.status == 404  # no such account, but the route itself was found
    [req] = emulator.requests
    segments = req.raw_path.split("?")[0].split("/")
    assert segments[:4] == ["", "client", "v4", "accounts"]
    assert unquote(segments[4]) == value
    assert segments[5:] == ["realtime", "kit", APP, "livestreams"]


# --- bad input: the error, and nothing sent ---------------------------------------------------

def _missing_lacks(msg: str, lacks: dict[str, set[str]], supplied: set[str]) -> None:
    """Each candidate method is named with exactly the parameters it lacks."""
    names = list(lacks)
    positions = sorted((msg.index(n), n) for n in names)
    for i, (pos, name) in enumerate(positions):
        end = positions[i + 1][0] if i + 1 < len(positions) else len(msg)
        segment = msg[pos + len(name):end]
        for p in lacks[name]:
            assert p in segment, (name, p, msg)
        for p in supplied:
            assert p not in segment, (name, p, msg)


U = f"'{M}'"
BAD = {
    "unknown-provider": (
        "INSERT INTO clodflare.realtime_kit.livestreams (account_id, app_id) SELECT 'a', 'b'",
        httpql.ProgrammingError, ["clodflare", "cloudflare"]),
    "unknown-service": (
        "INSERT INTO cloudflare.realtime_kt.livestreams (account_id, app_id) SELECT 'a', 'b'",
        httpql.ProgrammingError, ["realtime_kt", "realtime_kit"]),
    "unknown-resource": (
        "INSERT INTO cloudflare.realtime_kit.livestrems (account_id, app_id) SELECT 'a', 'b'",
        httpql.ProgrammingError, ["'livestrems'", "livestreams"]),
    "unknown-method": (
        f"EXEC {RESOURCE}.stop_livestreaming @meeting_id={U}, @account_id='a', @app_id='b'",
        httpql.ProgrammingError, ["stop_livestreaming", "did you mean 'stop_livestreaming_a_meeting'"]),
    "unknown-column": (
        f"INSERT INTO {RESOURCE} (nme, account_id, app_id) SELECT 'x', 'a', 'b'",
        httpql.ProgrammingError,
        ["nme", "did you mean 'name'", "meeting_id", "account_id", "app_id", "video_config"]),
    "unknown-exec-param": (
        f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id={U}, @account_id='a', @app_id='b', "
        "@force=TRUE",
        httpql.ProgrammingError, ["@force", "@meeting_id", "@account_id", "@app_id"]),
    "video-config-without-meeting": (
        f"INSERT INTO {RESOURCE} (video_config, account_id, app_id) SELECT '{{\"height\": 1}}', 'a', 'b'",
        httpql.ProgrammingError, ["video_config", "create_independent_livestream",
                                  "start_livestreaming_a_meeting"]),
    "exec-missing-required": (
        f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @account_id='a', @app_id='b'",
        httpql.ProgrammingError, ["stop_livestreaming_a_meeting", "meeting_id"]),
    "integer-as-string-in-video-config": (
        f"INSERT INTO {RESOURCE} (video_config, meeting_id, account_id, app_id) "
        f"SELECT '{{\"height\": \"720\"}}', {U}, 'a', 'b'",
        httpql.DataError, ["video_config.height", "integer", "'720'"]),
    "float-in-video-config": (
        f"INSERT INTO {RESOURCE} (video_config, meeting_id, account_id, app_id) "
        f"SELECT '{{\"width\": 12.5}}', {U}, 'a', 'b'",
        httpql.DataError, ["video_config.width", "integer"]),
    "video-config-bad-json": (
        f"INSERT INTO {RESOURCE} (video_config, meeting_id, account_id, app_id) "
        f"SELECT '{{\"height\": 720', {U}, 'a', 'b'",
        httpql.DataError, ["video_config", "JSON"]),
    "video-config-not-object": (
        f"INSERT INTO {RESOURCE} (video_config, meeting_id, account_id, app_id) SELECT '[720]', {U}, 'a', 'b'",
        httpql.DataError, ["video_config", "object"]),
    "video-config-unknown-key": (
        f"INSERT INTO {RESOURCE} (video_config, meeting_id, account_id, app_id) "
        f"SELECT '{{\"depth\": 3}}', {U}, 'a', 'b'",
        httpql.DataError, ["depth", "height", "width"]),
    "name-fails-pattern": (
        f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 'town hall!', 'a', 'b'",
        httpql.DataError, ["name", "town hall!", "^[a-zA-Z0-9-_]*$"]),
    "name-not-a-string": (
        f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 7, 'a', 'b'",
        httpql.DataError, ["name", "string"]),
    "meeting-id-not-uuid": (
        f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) SELECT 'meeting-1', 'a', 'b'",
        httpql.DataError, ["meeting_id", "UUID", "meeting-1"]),
    "exec-meeting-id-not-uuid": (
        f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='42', @account_id='a', @app_id='b'",
        httpql.DataError, ["meeting_id", "UUID"]),
    "account-id-too-long": (
        f"INSERT INTO {RESOURCE} (account_id, app_id) SELECT '{'a' * 33}', 'b'",
        httpql.DataError, ["account_id", "33", "32"]),
    "app-id-too-long": (
        f"INSERT INTO {RESOURCE} (account_id, app_id) SELECT 'a', '{'b' * 40}'",
        httpql.DataError, ["app_id", "32"]),
    "null-path-param": (
        f"INSERT INTO {RESOURCE} (account_id, app_id) SELECT NULL, 'b'",
        httpql.DataError, ["account_id", "NULL"]),
    "empty-path-param": (
        f"INSERT INTO {RESOURCE} (account_id, app_id) SELECT 'a', ''",
        httpql.DataError, ["app_id", "empty"]),
    "leftover-placeholder": (
        f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{{{{ meeting_id }}}}', "
        "@account_id='a', @app_id='b'",
        httpql.DataError, ["meeting_id", "{{ meeting_id }}"]),
    "leftover-placeholder-in-body": (
        f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT '{{{{ name }}}}', 'a', 'b'",
        httpql.DataError, ["name", "{{ name }}"]),
    "json-unknown-field": (
        f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id={U}, @account_id='a', @app_id='b', "
        "@@json='{\"nam\": \"x\"}'",
        httpql.ProgrammingError, ["@@json", "nam", "name", "video_config"]),
    "json-conflicting-field": (
        f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id={U}, @account_id='a', @app_id='b', "
        "@name='y', @@json='{\"name\": \"x\"}'",
        httpql.ProgrammingError, ["name", "@@json"]),
    "json-not-an-object": (
        f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id={U}, @account_id='a', @app_id='b', "
        "@@json='[1, 2]'",
        httpql.DataError, ["@@json", "object"]),
    "json-bad-json": (
        f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id={U}, @account_id='a', @app_id='b', "
        "@@json='{name: x}'",
        httpql.DataError, ["@@json", "JSON"]),
    "json-bad-value-inside": (
        f"EXEC {RESOURCE}.create_independent_livestream @account_id='a', @app_id='b', "
        "@@json='{\"name\": \"no spaces\"}'",
        httpql.DataError, ["name", "no spaces"]),
    "json-body-for-stop": (
        f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id={U}, @account_id='a', @app_id='b', "
        "@@json='{\"name\": \"x\"}'",
        httpql.ProgrammingError, ["@@json", "stop_livestreaming_a_meeting"]),
    "select-not-supported": (
        f"SELECT * FROM {RESOURCE} WHERE account_id = 'a' AND app_id = 'b'",
        httpql.NotSupportedError,
        ["SELECT not supported for this resource", "SHOW METHODS", "EXEC command"]),
    "delete-not-supported": (
        f"DELETE FROM {RESOURCE} WHERE account_id = 'a'",
        httpql.NotSupportedError, ["DELETE not supported", "SHOW METHODS"]),
    "exec-on-resource-name": (
        f"EXEC {RESOURCE} @account_id='a'",
        httpql.ProgrammingError, ["provider.service.resource.method"]),
    "second-row-bad": (
        f"INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES ('ok', 'a', 'b'), ('not ok', 'a', 'b')",
        httpql.DataError, ["row 2", "not ok"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_nothing_is_sent(conn, emulator, case):
    sql, kind, parts = BAD[case]
    with pytest.raises(kind) as info:
        conn.execute(sql)
    msg = str(info.value)
    assert isinstance(info.value, httpql.Error)
    for part in parts:
        assert part in msg, (part, msg)
    assert emulator.requests == []


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_fails_the_same_in_dry_run(dry, case):
    sql, kind, parts = BAD[case]
    with pytest.raises(kind) as info:
        dry.execute(sql)
    for part in parts:
        assert part in str(info.value)


@pytest.mark.parametrize(("cols", "lacks"), [
    ({"name": "x"}, {"start_livestreaming_a_meeting": {"meeting_id", "account_id", "app_id"},
                     "create_independent_livestream": {"account_id", "app_id"}}),
    ({"name": "x", "app_id": "b"}, {"start_livestreaming_a_meeting": {"meeting_id", "account_id"},
                                    "create_independent_livestream": {"account_id"}}),
    ({"meeting_id": M, "account_id": "a"}, {"start_livestreaming_a_meeting": {"app_id"},
                                            "create_independent_livestream": {"app_id"}}),
])
def test_missing_required_names_each_candidate_and_what_it_lacks(conn, emulator, cols, lacks):
    with pytest.raises(httpql.ProgrammingError) as info:
        conn.execute(ins(cols))
    msg = str(info.value)
    assert "INSERT" in msg
    _missing_lacks(msg, lacks, set(cols) - {"name"})
    assert emulator.requests == []


def test_syntax_error_in_third_statement_sends_nothing(conn, emulator, meeting_id):
    script = "\n".join([insert_sql(meeting_id), stop_sql(meeting_id),
                        f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id '{meeting_id}';"])
    with pytest.raises(httpql.ParseError) as info:
        conn.execute(script)
    assert info.value.line == 3
    assert emulator.requests == []
    assert emulator.active_livestream(meeting_id) is None


def test_parse_level_error_in_third_statement_sends_nothing(conn, emulator, meeting_id):
    script = "\n".join([insert_sql(meeting_id), stop_sql(meeting_id),
                        f"INSERT INTO {RESOURCE} (name) SELECT upper('x');"])
    with pytest.raises(httpql.ProgrammingError):
        conn.execute(script)
    assert emulator.requests == []


def test_bad_second_row_sends_not_even_the_first(conn, emulator, meeting_id):
    sql = (f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) VALUES "
           f"('good', '{meeting_id}', '{ACCOUNT}', '{APP}'), ('good', 'bad-uuid', '{ACCOUNT}', '{APP}')")
    with pytest.raises(httpql.DataError, match="row 2"):
        conn.execute(sql)
    assert emulator.requests == []
    assert emulator.active_livestream(meeting_id) is None


def test_values_bound_as_parameters_are_checked_too(conn, emulator):
    sql = f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT ?, ?, ?"
    with pytest.raises(httpql.DataError, match="name"):
        conn.execute(sql, ["x'; DROP TABLE --", ACCOUNT, APP])
    assert emulator.requests == []


@pytest.mark.parametrize(("returning", "named", "suggested"), [
    ("data.stream_kye", "data.stream_kye", "data.stream_key"),
    ("DATA.NAME", "DATA", "data"),
    ("success, foo", "foo", None),
])
def test_returning_a_field_the_response_does_not_have_is_refused_before_sending(
        returning, named, suggested):
    with httpql.connect(dry_run=True, token="t") as c:
        with pytest.raises(httpql.ProgrammingError) as info:
            c.execute(f"INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id) "
                      f"VALUES ('a', 'acc', 'app') RETURNING {returning}")
    msg = str(info.value)
    assert f"unknown field '{named}'" in msg and "DESCRIBE" in msg
    if suggested:
        assert f"did you mean '{suggested}'" in msg


def test_returning_star_and_described_fields_are_accepted():
    with httpql.connect(dry_run=True, token="t") as c:
        for returning in ("*", "data", "data.stream_key AS key, success"):
            rows = c.execute(f"INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, "
                             f"app_id) VALUES ('a', 'acc', 'app') RETURNING {returning}")
            assert rows == []  # a dry run plans the request and returns no rows


@pytest.mark.parametrize(("url", "why"), [
    ("https://[abc/v4", "not a valid URL"),
    ("https://user:pa55word@api.example.com/v4", "user name or password"),
    ("https://api.example.com/v4?x=1", "query"),
    ("https://api.example.com/v4#top", "fragment"),
])
def test_a_bad_base_url_override_is_refused_without_echoing_a_password(url, why):
    with pytest.raises(httpql.InterfaceError) as info:
        httpql.connect(dry_run=True, base_url=url)
    assert why in str(info.value) and "pa55word" not in str(info.value)
