"""SELECT end to end against the emulator: WHERE parameters become the request, pages are
followed, and the rest of the statement runs in the local SQL engine."""

from __future__ import annotations

import pytest
from conftest import ACCOUNT, APP, DOC_EXEC

import httpql

SVC = "cloudflare.realtime_kit"
WHERE = f"account_id = '{ACCOUNT}' AND app_id = '{APP}'"
EACH = (f"SELECT json_extract(j.value, '$.name') AS name, json_extract(j.value, '$.status') AS "
        f"status FROM {SVC}.kit_livestreams, json_each(data) AS j WHERE {WHERE}")


def create(conn, *names: str) -> None:
    rows = " UNION ALL ".join(f"SELECT '{n}', '{ACCOUNT}', '{APP}'" for n in names)
    conn.execute(f"INSERT INTO {SVC}.livestreams (name, account_id, app_id) {rows}")


def start(conn, meeting: str, name: str = "town-hall") -> None:
    conn.execute(f"INSERT INTO {SVC}.livestreams (name, meeting_id, account_id, app_id) "
                 f"VALUES ('{name}', '{meeting}', '{ACCOUNT}', '{APP}')")


def test_stackql_form_lists_what_was_created(emulator, conn):
    create(conn, "a", "b", "c")
    (row,) = conn.execute(f"SELECT data, success FROM {SVC}.kit_livestreams WHERE {WHERE}")
    assert row["success"] is True and [s["name"] for s in row["data"]] == ["a", "b", "c"]
    (req,) = [r for r in emulator.requests if r.method == "GET"]
    assert req.raw_path.endswith(f"/{APP}/livestreams")


def test_filters_order_limit_count_and_group(emulator, conn, meeting_id):
    create(conn, "a", "b", "c")
    start(conn, meeting_id, "live-one")
    assert conn.execute(EACH + " AND status = 'LIVE'") == [{"name": "live-one", "status": "LIVE"}]
    assert "status=LIVE" in emulator.requests[-1].raw_path  # a parameter: sent, not local
    local = conn.execute(EACH + " AND json_extract(j.value, '$.name') > 'a' ORDER BY name DESC "
                                "LIMIT 2")
    assert [r["name"] for r in local] == ["live-one", "c"]
    grouped = conn.execute(f"SELECT json_extract(j.value, '$.status') AS status, COUNT(*) AS n "
                           f"FROM {SVC}.kit_livestreams, json_each(data) AS j WHERE {WHERE} "
                           "GROUP BY status ORDER BY status")
    assert grouped == [{"status": "INVOKED", "n": 3}, {"status": "LIVE", "n": 1}]


def test_in_fans_out_one_request_per_value_in_order(emulator, conn, meeting_id):
    create(conn, "a")
    start(conn, meeting_id)
    rows = conn.execute(EACH + " AND status IN ('LIVE', 'INVOKED')")
    assert rows == [{"name": "town-hall", "status": "LIVE"}, {"name": "a", "status": "INVOKED"}]
    gets = [r.raw_path for r in emulator.requests if r.method == "GET"]
    assert ["status=LIVE" in gets[0], "status=INVOKED" in gets[1]] == [True, True]


def test_parameters_are_coerced_and_checked_before_sending(emulator, conn):
    conn.execute(f"SELECT data FROM {SVC}.kit_livestreams WHERE {WHERE} AND page_no = '2' "
                 "AND per_page = '5'")
    assert "page_no=2" in emulator.requests[-1].raw_path
    emulator.reset()
    with pytest.raises(httpql.DataError, match="must be one of LIVE, IDLE, ERRORED, INVOKED"):
        conn.execute(f"SELECT data FROM {SVC}.kit_livestreams WHERE {WHERE} AND status = 'ON'")
    assert emulator.requests == []


def test_livestream_id_chooses_the_get_method(emulator, conn):
    (row,) = conn.execute(f"INSERT INTO {SVC}.livestreams (name, account_id, app_id) VALUES "
                          f"('solo', '{ACCOUNT}', '{APP}') RETURNING data.id")
    (got,) = conn.execute(f"SELECT data.livestream.name AS name FROM {SVC}.kit_livestreams "
                          f"WHERE {WHERE} AND livestream_id = '{row['data.id']}'")
    assert got == {"name": "solo"}


def test_the_active_livestream_comes_and_goes(emulator, conn, meeting_id):
    sql = (f"SELECT data.status, data.name FROM {SVC}.livestreams_active_livestream WHERE {WHERE} "
           f"AND meeting_id = '{meeting_id}'")
    assert conn.execute(sql) == []  # the API's 404 "no active livestream": no rows
    start(conn, meeting_id, "town-hall")
    assert conn.execute(sql) == [{"data.status": "LIVE", "data.name": "town-hall"}]
    conn.execute(DOC_EXEC.replace("{{ meeting_id }}", meeting_id)
                 .replace("{{ account_id }}", ACCOUNT).replace("{{ app_id }}", APP))
    (result,) = conn.run(sql)
    assert result.rows == [] and "read as no rows" in result.warnings[0]


def test_pages_are_followed_and_the_cap_says_so(emulator, meeting_id):
    with httpql.connect(emulator=False, base_url=emulator.base_url, token=emulator.token,
                        page_limit=3) as conn:
        create(conn, *[f"s{i}" for i in range(7)])
        sql = EACH + " AND per_page = 2"
        (result,) = conn.run(sql)
        assert [r["name"] for r in result.rows] == ["s0", "s1", "s2", "s3", "s4", "s5"]
        assert "stopped after 3 pages (6 of 7 items fetched)" in result.warnings[0]
        assert "--page-limit" in result.warnings[0]
        emulator.reset()
        create(conn, "x", "y", "z")
        (result,) = conn.run(sql)
        assert [r["name"] for r in result.rows] == ["x", "y", "z"] and result.warnings == []
        assert len([r for r in emulator.requests if r.method == "GET"]) == 2


def test_limit_stops_fetching_early(emulator, conn):
    create(conn, *[f"s{i}" for i in range(6)])
    before = len(emulator.requests)
    rows = conn.execute(f"SELECT data FROM {SVC}.kit_livestreams WHERE {WHERE} AND per_page = 2 "
                        "LIMIT 1")
    assert len(rows) == 1 and len(emulator.requests) - before == 1


def test_a_missing_parameter_is_the_clear_error_and_nothing_is_sent(emulator, conn):
    with pytest.raises(httpql.ProgrammingError) as info:
        conn.execute(f"SELECT data FROM {SVC}.kit_livestreams WHERE app_id = '{APP}'")
    assert "get_by_account needs account_id, livestream_id; list needs account_id" in str(
        info.value)
    assert emulator.requests == []


def test_the_stackql_form_with_templates_from_the_cli(emulator, httpql_cli):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token) as conn:
        create(conn, "a")
    r = httpql_cli("exec", "-o", "json", "--var", f"account_id={ACCOUNT}", "--var",
                   f"app_id={APP}", f"SELECT data, success FROM {SVC}.kit_livestreams WHERE "
                   "account_id = '{{ account_id }}' AND app_id = '{{ app_id }}' AND "
                   "status = 'INVOKED'")
    assert r.code == 0, r.stderr
    assert [s["name"] for s in r.json()[0]["data"]] == ["a"]


def test_a_value_crafted_to_break_out_stays_a_value(emulator, conn):
    create(conn, "a")
    evil = "x' OR 1=1 --"
    rows = conn.execute(EACH + " AND json_extract(j.value, '$.name') = ?", [evil])
    assert rows == []
    rows = conn.execute(EACH + " AND json_extract(j.value, '$.name') = '{{ n }}'",
                        variables={"n": "a'); DROP TABLE rows; --"})
    assert rows == []
    assert conn.execute(EACH) == [{"name": "a", "status": "INVOKED"}]


def test_write_only_resource_names_the_read_resources(conn):
    with pytest.raises(httpql.NotSupportedError) as info:
        conn.execute(f"SELECT * FROM {SVC}.livestreams WHERE {WHERE}")
    assert f"{SVC}.kit_livestreams" in str(info.value)
    assert f"{SVC}.livestreams_active_livestream" in str(info.value)


def test_rows_at_data_gives_a_row_per_item_with_typed_columns(emulator, conn):
    cur = conn.cursor()
    cur.execute(f"SELECT id, title, status FROM {SVC}.kit_meetings WHERE {WHERE}")
    assert [d[0] for d in cur.description] == ["id", "title", "status"]
    assert [d[1] for d in cur.description] == ["string", "string", "string"]
    assert len(cur.fetchall()) >= 1


def test_select_without_from_and_joins_are_not_supported_yet(conn):
    with pytest.raises(httpql.NotSupportedError):
        conn.execute("SELECT 1")
    with pytest.raises(httpql.NotSupportedError, match="JOIN"):
        conn.execute(f"SELECT * FROM {SVC}.kit_meetings m JOIN {SVC}.apps a ON 1 = 1 "
                     f"WHERE {WHERE}")


def test_loose_values_are_normalised_to_the_declared_type():
    from httpql.paging import normalise

    assert normalise(False, "string") == "false"
    assert normalise("true", "boolean") is True
    assert normalise("12", "integer") == 12
    assert normalise([1], "object") == [1]  # cannot be normalised: kept as it came
    assert normalise("n/a", "integer") == "n/a"


def test_unnest_gives_one_row_per_livestream_with_its_fields_as_columns(emulator, conn,
                                                                         meeting_id):
    create(conn, "a", "b")
    start(conn, meeting_id, "live-one")
    rows = conn.execute(f"SELECT l.name, l.status, l.meeting_id FROM {SVC}.kit_livestreams, "
                        f"UNNEST(data) AS l WHERE {WHERE} AND per_page = 1 "
                        "ORDER BY l.name DESC")
    assert rows == [{"name": "live-one", "status": "LIVE", "meeting_id": meeting_id},
                    {"name": "b", "status": "INVOKED", "meeting_id": None},
                    {"name": "a", "status": "INVOKED", "meeting_id": None}]
    (counted,) = conn.execute(f"SELECT COUNT(*) AS n FROM {SVC}.kit_livestreams, UNNEST(data) "
                              f"AS l WHERE {WHERE} AND l.status = 'INVOKED'")
    assert counted == {"n": 2}
    everything = conn.execute(f"SELECT l.* FROM {SVC}.kit_livestreams, UNNEST(data) AS l "
                              f"WHERE {WHERE} LIMIT 1")
    assert everything[0]["name"] == "a" and "stream_key" in everything[0]
    assert not any(k.startswith("_httpql") for k in everything[0])


def test_a_date_time_parameter_is_checked_before_sending(emulator, conn):
    with pytest.raises(httpql.DataError, match="ISO 8601 date-time"):
        conn.execute(f"SELECT data FROM {SVC}.kit_livestreams WHERE {WHERE} "
                     "AND start_time = 'yesterday'")
    assert emulator.requests == []
    conn.execute(f"SELECT data FROM {SVC}.kit_livestreams WHERE {WHERE} "
                 "AND start_time = '2026-11-30T12:00:00Z'")
    assert "start_time=2026-11-30T12%3A00%3A00Z" in emulator.requests[-1].raw_path
