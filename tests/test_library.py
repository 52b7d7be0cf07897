"""The Python API (httpql.connect, execute/run, PEP 249 cursor) against the emulator."""

from __future__ import annotations

import uuid

import pytest
from conftest import ACCOUNT, APP, RESOURCE, insert_sql, stop_sql

import httpql

SECRET = "sk-test-0123456789abcdefSECRET"


def _no_secret(*texts: object, secret: str) -> None:
    for text in texts:
        assert secret not in str(text)


# --- execute and results ----------------------------------------------------------------------

def test_connect_to_emulator_and_execute_returns_list_of_dicts(emulator):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token) as conn:
        rows = conn.execute(f"SHOW METHODS IN {RESOURCE}")
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
    assert {r["MethodName"] for r in rows} == {
        "start_livestreaming_a_meeting", "create_independent_livestream", "stop_livestreaming_a_meeting"}


def test_insert_returning_starts_the_meeting_livestream(conn, emulator, meeting_id):
    rows = conn.execute(insert_sql(meeting_id))
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"data", "success"}
    assert row["success"] is True
    data = row["data"]
    uuid.UUID(data["id"])
    assert data["ingest_server"].startswith("rtmps://")
    assert data["playback_url"].startswith("https://")
    assert data["stream_key"]
    active = emulator.active_livestream(meeting_id)
    assert active is not None
    assert active["id"] == data["id"]
    assert active["name"] == "town-hall"
    assert active["video_config"] == {"height": 720, "width": 1280}
    [req] = emulator.requests
    assert req.method == "POST"
    assert req.raw_path == (f"/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/meetings/{meeting_id}"
                            "/livestreams")
    assert req.json() == {"name": "town-hall", "video_config": {"height": 720, "width": 1280}}
    assert req.headers["content-type"] == "application/json"


def test_returning_dotted_path_with_alias(conn, emulator, meeting_id):
    rows = conn.execute(insert_sql(meeting_id, returning="data.stream_key AS key, data.id"))
    assert len(rows) == 1
    assert list(rows[0]) == ["key", "data.id"]
    assert rows[0]["key"] == emulator.active_livestream(meeting_id)["stream_key"]


def test_returning_star_gives_the_whole_response(conn):
    rows = conn.execute(insert_sql(None, name="solo", video=None, returning="*"))
    assert len(rows) == 1
    assert rows[0]["success"] is True
    assert rows[0]["data"]["name"] == "solo"
    assert rows[0]["data"]["meeting_id"] is None


def test_independent_livestream_without_meeting_id(conn, emulator):
    [row] = conn.execute(insert_sql(None, name="solo", video=None, returning="data.name, success"))
    assert row == {"data.name": "solo", "success": True}
    [req] = emulator.requests
    assert req.raw_path == f"/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/livestreams"
    assert req.json() == {"name": "solo"}


def test_multi_row_values_sends_one_request_per_row_in_order(conn, emulator):
    meetings = [str(uuid.uuid4()) for _ in range(3)]
    values = ", ".join(f"('row{i}', '{m}', '{ACCOUNT}', '{APP}')" for i, m in enumerate(meetings))
    rows = conn.execute(f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) VALUES {values} "
                        "RETURNING data.id, success")
    assert len(rows) == 3
    assert [r["success"] for r in rows] == [True, True, True]
    paths = [r.raw_path for r in emulator.requests]
    assert paths == [f"/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/meetings/{m}/livestreams"
                     for m in meetings]
    assert [r.json() for r in emulator.requests] == [{"name": f"row{i}"} for i in range(3)]
    for m, row in zip(meetings, rows):
        assert emulator.active_livestream(m)["id"] == row["data.id"]


def test_insert_without_returning_gives_a_status_message(conn):
    [result] = conn.run(insert_sql(None, video=None, returning=""))
    assert result.rows == []
    assert "despatched successfully" in result.message
    assert "201" in result.message
    assert result.statuses == [201]


def test_exec_stop_gives_a_status_message_and_stops(conn, emulator, meeting_id):
    conn.execute(insert_sql(meeting_id))
    assert emulator.active_livestream(meeting_id) is not None
    results = list(conn.run(stop_sql(meeting_id)))
    assert len(results) == 1
    result = results[0]
    assert isinstance(result, httpql.Result)
    assert result.rows == []
    assert "despatched" in result.message
    assert "200" in result.message
    assert emulator.active_livestream(meeting_id) is None
    stop = emulator.requests[-1]
    assert stop.raw_path.endswith(f"/meetings/{meeting_id}/active-livestream/stop")
    assert stop.body in (b"", b"{}")


def test_run_yields_one_result_per_statement(conn, meeting_id):
    results = list(conn.run(f"SHOW PROVIDERS; {insert_sql(meeting_id)} {stop_sql(meeting_id)}"))
    assert [type(r.statement).__name__ for r in results] == ["Show", "Insert", "Exec"]
    assert results[0].columns == ["name", "version"]
    assert results[1].columns == ["data", "success"]
    assert results[2].message and "despatched" in results[2].message


def test_execute_returns_rows_of_the_last_statement(conn, meeting_id):
    rows = conn.execute(f"{insert_sql(meeting_id)} SHOW PROVIDERS")
    assert rows == [{"name": "cloudflare", "version": "v1"}]


def test_template_variables_bind_values(conn, emulator, meeting_id):
    rows = conn.execute(f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) "
                        "SELECT '{{ name }}', '{{ m }}', '{{ a }}', '{{ p }}' RETURNING success",
                        variables={"name": "tpl", "m": meeting_id, "a": ACCOUNT, "p": APP})
    assert rows == [{"success": True}]
    assert emulator.active_livestream(meeting_id)["name"] == "tpl"


def test_named_parameters_bind_values(conn, emulator, meeting_id):
    rows = conn.execute(f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) "
                        "SELECT :n, :m, :a, :p RETURNING success",
                        {"n": "named", "m": meeting_id, "a": ACCOUNT, "p": APP})
    assert rows == [{"success": True}]
    assert emulator.active_livestream(meeting_id)["name"] == "named"


# --- API errors -------------------------------------------------------------------------------

def test_wrong_token_is_api_error_401(emulator):
    with httpql.connect(base_url=emulator.base_url, token=SECRET) as conn:
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(insert_sql(None, video=None))
        e = info.value
        assert e.status == 401
        assert "Authentication error" in str(e)
        assert "401" in str(e)
        _no_secret(str(e), repr(e), e.args, e.statement, e.headers, repr(conn), secret=SECRET)
    assert len(emulator.requests) == 1  # an auth failure is not retried


def test_unknown_app_is_api_error_404(conn, emulator, meeting_id):
    with pytest.raises(httpql.ApiError) as info:
        conn.execute(insert_sql(meeting_id).replace(f"'{APP}'", "'no-such-app'"))
    e = info.value
    assert e.status == 404
    assert "resource not found" in str(e)
    assert "404" in str(e)
    assert e.api_message == "Error: resource not found"


def test_stop_without_active_livestream_is_api_error_400(conn, meeting_id):
    with pytest.raises(httpql.ApiError) as info:
        conn.execute(stop_sql(meeting_id))
    e = info.value
    assert e.status == 400
    assert f"No active livestream found for meeting {meeting_id}" in str(e)
    assert "stop_livestreaming_a_meeting" in str(e)


def test_starting_twice_is_api_error_409(conn, meeting_id):
    conn.execute(insert_sql(meeting_id))
    with pytest.raises(httpql.ApiError) as info:
        conn.execute(insert_sql(meeting_id))
    assert info.value.status == 409
    assert "already has an active livestream" in str(info.value)


def test_failure_in_second_row_reports_what_was_sent(conn, emulator):
    sql = (f"INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES "
           f"('a', '{ACCOUNT}', '{APP}'), ('b', '{ACCOUNT}', 'nope'), ('c', '{ACCOUNT}', '{APP}')")
    with pytest.raises(httpql.ApiError) as info:
        conn.execute(sql + " RETURNING data.name")
    msg = str(info.value)
    assert "row 2 of 3" in msg
    assert "404" in msg
    assert len(emulator.requests) == 2  # row 3 was not sent
    partial = info.value.partial
    assert partial.rows == [{"data.name": "a"}]
    assert partial.columns == ["data.name"]


def test_missing_token_is_operational_error_before_any_request(emulator, monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    with httpql.connect(base_url=emulator.base_url) as conn:
        with pytest.raises(httpql.OperationalError) as info:
            conn.execute(insert_sql(None, video=None))
    assert "CLOUDFLARE_API_TOKEN" in str(info.value)
    assert emulator.requests == []


def test_token_from_environment_is_used(emulator, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", emulator.token)
    with httpql.connect(base_url=emulator.base_url) as conn:
        assert conn.execute(insert_sql(None, video=None, returning="success")) == [{"success": True}]


def test_unreachable_api_is_operational_error(monkeypatch):
    import socket

    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with httpql.connect(base_url=f"http://127.0.0.1:{port}/client/v4", token=SECRET, retries=0,
                        timeout=5) as conn:
        with pytest.raises(httpql.OperationalError) as info:
            conn.execute(stop_sql(str(uuid.uuid4())))
    _no_secret(str(info.value), repr(info.value), secret=SECRET)


def test_closed_connection_is_interface_error(emulator):
    conn = httpql.connect(base_url=emulator.base_url, token=emulator.token)
    conn.close()
    with pytest.raises(httpql.InterfaceError):
        conn.execute("SHOW PROVIDERS")


def test_every_error_class_derives_from_httpql_error():
    for cls in (httpql.InterfaceError, httpql.ManifestError, httpql.DatabaseError,
                httpql.ProgrammingError, httpql.ParseError, httpql.DataError, httpql.NotSupportedError,
                httpql.OperationalError, httpql.OutcomeUnknownError, httpql.ApiError):
        assert issubclass(cls, httpql.Error), cls
    assert issubclass(httpql.ParseError, httpql.ProgrammingError)
    assert issubclass(httpql.ApiError, httpql.DatabaseError)
    assert issubclass(httpql.Warning, Exception)


def test_pep249_exception_names_are_all_exported():
    # PEP 249 requires these ten names on the module
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
                 "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
                 "NotSupportedError"):
        assert hasattr(httpql, name), name
        if name != "Warning":
            assert issubclass(getattr(httpql, name), httpql.Error), name


@pytest.mark.parametrize("sql", [
    "SELEC 1",
    f"SELECT * FROM {RESOURCE}",
    f"INSERT INTO {RESOURCE} (name) SELECT 'x'",
    f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 'bad name', 'a', 'b'",
    f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 'x', '{ACCOUNT}', 'nope'",
    f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{uuid.UUID(int=5)}', "
    f"@account_id='{ACCOUNT}', @app_id='{APP}'",
])
def test_errors_with_a_secret_token_never_show_it(emulator, sql):
    with httpql.connect(base_url=emulator.base_url, token=SECRET) as conn:
        with pytest.raises(httpql.Error) as info:
            conn.execute(sql)
        e = info.value
        _no_secret(str(e), repr(e), e.args, getattr(e, "statement", ""), vars(e), repr(conn),
                   secret=SECRET)


def test_errors_with_the_right_token_never_show_it(conn, emulator, meeting_id):
    for sql in (stop_sql(meeting_id), insert_sql(meeting_id).replace(f"'{APP}'", "'nope'")):
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(sql)
        _no_secret(str(info.value), repr(info.value), vars(info.value), secret=emulator.token)
    _no_secret(repr(conn), secret=emulator.token)


# --- PEP 249 ----------------------------------------------------------------------------------

def test_module_globals():
    assert httpql.apilevel == "2.0"
    assert httpql.paramstyle in ("qmark", "named", "numeric", "format", "pyformat")
    assert httpql.threadsafety in (0, 1, 2, 3)
    assert callable(httpql.connect)


def test_cursor_execute_fetchall_and_description(conn, emulator, meeting_id):
    cur = conn.cursor()
    returned = cur.execute(insert_sql(meeting_id, returning="data.id, success"))
    assert returned is cur
    assert [d[0] for d in cur.description] == ["data.id", "success"]
    assert all(len(d) == 7 for d in cur.description)
    rows = cur.fetchall()
    assert len(rows) == 1 and isinstance(rows[0], tuple)
    assert rows[0][1] is True
    assert rows[0][0] == emulator.active_livestream(meeting_id)["id"]
    assert cur.fetchall() == []
    assert cur.rowcount == 1


def test_cursor_chained_fetchall_and_fetchone(conn):
    rows = conn.cursor().execute(f"SHOW METHODS IN {RESOURCE}").fetchall()
    assert len(rows) == 3
    cur = conn.cursor().execute("SHOW PROVIDERS")
    assert cur.fetchone() == ("cloudflare", "v1")
    assert cur.fetchone() is None


def test_cursor_qmark_parameters(conn, emulator, meeting_id):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) SELECT ?, ?, ?, ? "
                "RETURNING success", ("qmark", meeting_id, ACCOUNT, APP))
    assert cur.fetchall() == [(True,)]
    assert emulator.active_livestream(meeting_id)["name"] == "qmark"


def test_cursor_exec_without_rows_has_no_description(conn, meeting_id):
    conn.execute(insert_sql(meeting_id))
    cur = conn.cursor().execute(stop_sql(meeting_id))
    assert cur.description is None and cur.rowcount == 1
    with pytest.raises(httpql.ProgrammingError, match="did not produce a result set"):
        cur.fetchall()  # PEP 249: fetching without a result set is an error, as in psycopg


def test_commit_is_a_no_op_and_rollback_is_not_supported(conn):
    conn.commit()
    with pytest.raises(httpql.NotSupportedError):
        conn.rollback()


# --- the built-in emulator --------------------------------------------------------------------

def test_connect_emulator_needs_no_token_or_env(monkeypatch):
    for var in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL", "HTTPQL_PROVIDER_PATH"):
        monkeypatch.delenv(var, raising=False)
    meeting = str(uuid.uuid4())
    with httpql.connect(emulator=True) as conn:
        rows = conn.execute(insert_sql(meeting, returning="data.id, success"))
        assert rows[0]["success"] is True
        assert conn.emulator.active_livestream(meeting)["id"] == rows[0]["data.id"]
        [result] = conn.run(stop_sql(meeting))
        assert "despatched" in result.message
        assert conn.emulator.active_livestream(meeting) is None


def test_a_bad_later_statement_stops_the_script_before_any_request(conn, emulator, meeting_id):
    """Planning (names, parameters, values) runs for the whole script before the first request:
    a bad name in statement 3 must not leave statement 2's livestream started."""
    script = (f"SHOW PROVIDERS;\n{insert_sql(meeting_id, name='good')};\n"
              f"{insert_sql(meeting_id, name='bad name')}")
    with pytest.raises(httpql.DataError) as info:
        conn.execute(script)
    assert emulator.requests == []
    assert emulator.active_livestream(meeting_id) is None
    assert "statement 3 of 3 (line 3: INSERT INTO" in str(info.value) and "name" in str(info.value)


def test_continue_on_error_still_runs_the_good_statements(conn, emulator, meeting_id):
    script = f"{insert_sql(meeting_id, name='bad name')};\n{insert_sql(meeting_id, name='good')}"
    errors = []
    results = list(conn.run(script, continue_on_error=True, on_error=errors.append))
    assert len(results) == 1 and len(errors) == 1
    assert "(line 1: " in str(errors[0])
    assert len(emulator.requests) == 1
    assert emulator.active_livestream(meeting_id) is not None


@pytest.mark.parametrize(("option", "value"), [
    ("timeout", -1), ("timeout", "5"), ("timeout", float("nan")), ("connect_timeout", 0),
    ("total_timeout", 0), ("total_timeout", -5), ("retry_max_wait", float("inf")),
    ("retries", -1), ("retries", 1.5), ("max_response_bytes", 0), ("base_url", "http://example.com"),
])
def test_bad_connection_options_are_interface_errors(option, value):
    with pytest.raises(httpql.InterfaceError) as info:
        httpql.connect(token="t", **{option: value})
    assert option.split("_")[0] in str(info.value).lower()


def test_sql_that_is_not_a_string_is_a_programming_error(conn):
    with pytest.raises(httpql.ProgrammingError):
        conn.execute(b"SHOW PROVIDERS")


def test_a_bug_inside_a_statement_is_an_internal_error_with_its_cause(conn, monkeypatch):
    from httpql.plan import Planner

    def broken(self, stmt):
        raise KeyError("simulated bug")

    monkeypatch.setattr(Planner, "plan", broken)
    with pytest.raises(httpql.InternalError) as info:
        conn.execute(stop_sql(str(uuid.uuid4())))
    assert "bug in httpql" in str(info.value) and isinstance(info.value.__cause__, KeyError)


def test_run_sends_when_called_and_returns_every_result(emulator, conn):
    a, b = (str(uuid.uuid4()) for _ in range(2))
    results = conn.run(insert_sql(a) + insert_sql(b))  # not iterated: already sent
    assert len(emulator.requests) == 2
    assert [r.rows[0]["success"] for r in results] == [True, True]
    with pytest.raises(httpql.ApiError) as info:
        c, d = (str(uuid.uuid4()) for _ in range(2))
        conn.run(insert_sql(c) + insert_sql(d, name="x", returning="").replace(ACCOUNT, "nope"))
    assert [r.rows[0]["success"] for r in info.value.results] == [True]


def test_stream_checks_and_plans_when_called_and_stops_sending_once_closed(emulator):
    conn = httpql.connect(base_url=emulator.base_url, token=emulator.token)
    with pytest.raises(httpql.ProgrammingError):
        conn.stream(123)  # no iteration needed to see the error
    a, b = (str(uuid.uuid4()) for _ in range(2))
    results = conn.stream(insert_sql(a) + insert_sql(b))
    next(results)
    conn.close()
    with pytest.raises(httpql.InterfaceError):
        next(results)
    assert len(emulator.requests) == 1


def test_executemany_checks_every_parameter_set_before_sending(conn, emulator):
    cur = conn.cursor()
    sql = f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) VALUES (?, ?, ?, ?)"
    good = ["ok", str(uuid.uuid4()), ACCOUNT, APP]
    with pytest.raises(httpql.BatchError) as info:
        cur.executemany(sql, [good, ["bad name", str(uuid.uuid4()), ACCOUNT, APP]],
                        on_error="stop")
    assert emulator.requests == []
    assert [o.status for o in info.value.outcomes] == ["not_sent", "invalid"]
    assert isinstance(info.value.outcomes[1].error, httpql.DataError)
    cur.executemany(sql, [good, ["ok2", str(uuid.uuid4()), ACCOUNT, APP]])
    assert len(emulator.requests) == 2 and cur.rowcount == 2


def test_executemany_says_which_sets_failed_at_the_api_and_sends_the_others(conn, emulator):
    cur = conn.cursor()
    sql = f"INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES (?, ?, ?)"
    with pytest.raises(httpql.BatchError) as info:
        cur.executemany(sql, [["a", ACCOUNT, APP], ["b", ACCOUNT, "no-such-app"], ["c", ACCOUNT, APP]])
    assert "2 ok, 1 failed: record 2" in str(info.value)
    failed = info.value.failed
    assert [o.index for o in failed] == [2] and failed[0].error.status == 404
    assert len(emulator.requests) == 3
