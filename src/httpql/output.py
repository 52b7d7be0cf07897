"""Render result rows: table, json, ndjson, csv, text."""

from __future__ import annotations

import csv
import io
import json

FORMATS = ("table", "json", "ndjson", "csv", "text")


def cell(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def render(fmt: str, columns: list[str], rows: list[dict]) -> str:
    """The text for one result; ends with a newline unless empty."""
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2) + "\n"
    if fmt == "ndjson":
        return "".join(json.dumps({c: r.get(c) for c in columns}) + "\n" for r in rows)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else cell(r.get(c)) for c in columns])
        return buf.getvalue()
    if fmt == "text":
        lines = ["\t".join(columns)] + ["\t".join(cell(r.get(c)) for c in columns) for r in rows]
        return "\n".join(lines) + "\n"
    return table(columns, rows)


def table(columns: list[str], rows: list[dict]) -> str:
    cells = [[cell(r.get(c)).replace("\n", " ") for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    head = "|" + "|".join(f" {c.center(w)} " for c, w in zip(columns, widths)) + "|"
    body = ["|" + "|".join(f" {v.ljust(w)} " for v, w in zip(row, widths)) + "|" for row in cells]
    return "\n".join([rule, head, rule, *body, rule]) + "\n"
