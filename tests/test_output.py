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
