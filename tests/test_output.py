"""The one renderer: formats for people escape what could drive a terminal or break a row, machine
formats stay exact, tables align by display width and fit a width."""

from __future__ import annotations

import csv
import io
import json

import pytest

from httpql.output import FORMATS, MARK, render, width

HOSTILE = "x\x1b[31mred\ttab\nnew\rcr\x9b2J\u202eevil\x07"
COLUMNS = ["id", "note"]
ROWS = [{"id": 1, "note": HOSTILE}, {"id": 2, "note": {"k": "\x1b]0;title\x07"}}]


@pytest.mark.parametrize("fmt", ["table", "text"])
def test_formats_for_people_show_control_characters_escaped(fmt):
    text = render(fmt, COLUMNS, ROWS)
    for raw in ("\x1b", "\x07", "\r", "\x9b", "\u202e", "\t" if fmt == "table" else "\x00"):
        assert raw not in text
    assert r"x\x1b[31mred\ttab\nnew\rcr\x9b2J\u202eevil\x07" in text
    lines = text.splitlines()
    if fmt == "text":  # a header and one line per row, each with exactly one tab
        assert len(lines) == 3 and all(line.count("\t") == 1 for line in lines)
    else:
        assert len(lines) == 6 and len({width(line) for line in lines}) == 1


def test_vertical_escapes_too():
    text = render("table", COLUMNS, ROWS, vertical=True)
    assert "\x1b" not in text and "\n" not in text.replace("\n", "", text.count("\n"))
    assert r"note | x\x1b[31mred\ttab\nnew" in text


def test_machine_formats_keep_values_exact():
    assert [r["note"] for r in json.loads(render("json", COLUMNS, ROWS))] == [
        HOSTILE, {"k": "\x1b]0;title\x07"}]
    lines = render("ndjson", COLUMNS, ROWS).splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["note"] == HOSTILE
    rows = list(csv.reader(io.StringIO(render("csv", COLUMNS, ROWS))))
    assert rows[1] == ["1", HOSTILE]
    assert json.loads(rows[2][1]) == {"k": "\x1b]0;title\x07"}


def test_json_is_written_as_utf8_not_escapes():
    rows = [{"name": "café 日本 😀"}]
    assert '"café 日本 😀"' in render("json", ["name"], rows)
    assert '"café 日本 😀"' in render("ndjson", ["name"], rows)
    assert "café 日本 😀" in render("csv", ["name"], rows)


def test_a_lone_surrogate_stays_valid_json_and_writable():
    rows = [{"s": "a\ud800b"}]
    for fmt in FORMATS:
        render(fmt, ["s"], rows).encode("utf-8")  # would raise on a raw surrogate
    assert json.loads(render("json", ["s"], rows)) == rows


def test_tables_align_wide_characters_by_display_width():
    rows = [{"name": "日本語", "n": 1}, {"name": "ab", "n": 2}, {"name": "😀😀", "n": 3}]
    lines = render("table", ["name", "n"], rows).splitlines()
    assert len({width(line) for line in lines}) == 1
    assert lines[3] == "| 日本語 | 1 |" and lines[4] == "| ab     | 2 |"


def test_tables_fit_the_width_cutting_the_widest_cells_with_a_marker():
    rows = [{"success": True, "data": {"id": "x" * 300}}]
    lines = render("table", ["success", "data"], rows, max_width=80).splitlines()
    assert all(width(line) == 80 for line in lines)
    assert lines[3].startswith("| true    | {\"id\":\"xxx") and lines[3].endswith(f"x{MARK} |")
    # vertical and json keep the whole value
    assert "x" * 300 in render("table", ["success", "data"], rows, vertical=True)
    assert "x" * 300 in render("json", ["success", "data"], rows, max_width=80)


def test_a_table_too_narrow_to_fit_keeps_some_of_every_column():
    cols = [f"c{i}" for i in range(30)]
    line = render("table", cols, [{c: "value" * 3 for c in cols}], max_width=40).splitlines()[3]
    assert line.count(f"valu{MARK}") == 30


# --- each format on plain rows, and the pieces behind the table -----------------------------------

PLAIN = [{"id": 1, "ok": True, "gone": None, "cfg": {"h": 720}}, {"id": 2, "ok": False}]
PLAIN_COLUMNS = ["id", "ok", "gone", "cfg"]


def test_each_format_renders_plain_rows_as_documented():
    assert json.loads(render("json", PLAIN_COLUMNS, PLAIN)) == [
        {"id": 1, "ok": True, "gone": None, "cfg": {"h": 720}},
        {"id": 2, "ok": False, "gone": None, "cfg": None}]  # every row has every column
    assert render("ndjson", PLAIN_COLUMNS, PLAIN).splitlines()[1] == \
        '{"id": 2, "ok": false, "gone": null, "cfg": null}'
    assert render("csv", PLAIN_COLUMNS, PLAIN) == 'id,ok,gone,cfg\n1,true,,"{""h"":720}"\n2,false,,\n'
    assert render("text", PLAIN_COLUMNS, PLAIN) == \
        'id\tok\tgone\tcfg\n1\ttrue\tnull\t{"h":720}\n2\tfalse\tnull\tnull\n'
    assert render("table", PLAIN_COLUMNS, PLAIN) == (
        "|----|-------|------|-----------|\n"
        "| id |  ok   | gone |    cfg    |\n"
        "|----|-------|------|-----------|\n"
        '| 1  | true  | null | {"h":720} |\n'
        "| 2  | false | null | null      |\n"
        "|----|-------|------|-----------|\n")


def test_vertical_is_one_field_per_line_per_record():
    assert render("table", ["id", "ok"], PLAIN, vertical=True) == (
        "-[ RECORD 1 ]---\nid | 1\nok | true\n-[ RECORD 2 ]---\nid | 2\nok | false\n")
    assert render("table", ["id"], [], vertical=True) == ""


def test_no_rows_still_gives_the_header():
    assert render("json", ["id"], []) == "[]\n"
    assert render("ndjson", ["id"], []) == ""
    assert render("csv", ["id"], []) == "id\n"
    assert render("table", ["id"], []).splitlines()[1] == "| id |"


def test_fit_cuts_the_widest_columns_first_and_never_below_the_minimum():
    from httpql.output import MIN_CELL, fit

    assert fit([10, 20], 40) == [10, 20]  # it fits: unchanged
    assert fit([10, 50, 40], 60) == [10, 25, 25]
    assert fit([30, 30], 4) == [MIN_CELL, MIN_CELL]  # too narrow: left wider than the room
    assert fit([2, 30], 9) == [2, 7]  # a narrow column keeps its own width


def test_clip_pads_or_cuts_by_display_width():
    from httpql.output import clip

    assert clip("ab", 4) == "ab  " and clip("ab", 5, center=True) == " ab  "
    assert clip("abcdef", 4) == f"abc{MARK}"
    assert clip("日本語", 4) == f"日{MARK} "  # a wide character never half-shown


class _Result:
    """The attributes render_result reads from a connection's Result."""

    def __init__(self, **kw):
        self.dry_run, self.message, self.columns, self.rows, self.requests = (
            kw.get("dry_run", False), kw.get("message"), kw.get("columns", []), kw.get("rows", []),
            kw.get("requests", []))


def test_a_status_message_alone_is_not_data():
    from httpql.output import render_result

    done = _Result(message="The operation was despatched successfully (HTTP 201)")
    assert render_result(done, "json") is None
    assert render_result(_Result(columns=["id"], rows=[{"id": 1}]), "csv") == "id\n1\n"


def test_a_dry_run_renders_its_requests_with_the_token_masked():
    from httpql.output import render_result
    from httpql.plan import Request

    req = Request("POST", "https://api.example.com/x", body={"name": "a"}, has_body=True,
                  auth="bearer")
    from httpql.output import request_text

    dry = _Result(dry_run=True, requests=[req], message=request_text(req))
    [obj] = json.loads(render_result(dry, "json"))
    assert obj["method"] == "POST" and obj["body"] == {"name": "a"}
    assert obj["headers"]["Authorization"] == "Bearer ****"
    assert obj["headers"]["User-Agent"].startswith("httpql/")
    text = render_result(dry, "table")
    assert text.startswith("POST https://api.example.com/x\n") and "Bearer ****" in text
    assert render_result(dry, "json", requests_as_rows=False) == text
