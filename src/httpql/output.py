"""Render results: the one renderer behind ``httpql exec`` and the shell, so a format reads the
same everywhere.

Formats for people (table, vertical, text) show control characters escaped (``\\x1b``, ``\\n``), so
data from an API can never drive the terminal or break a row. Machine formats (json, ndjson, csv)
carry every value exactly; JSON is written as UTF-8 rather than ``\\u00e9`` escapes.
"""

from __future__ import annotations

import csv
import io
import json
import re

FORMATS = ("table", "json", "ndjson", "csv", "text")
MARK = "…"  # ends a cell cut to fit the terminal
MIN_CELL = 5  # narrowest a column is cut to; below that the table is left wider than the screen

# C0 and C1 controls (ESC, CSI, tab, newline...), line/paragraph separators, bidirectional
# overrides (which reorder what is shown) and lone surrogates (which cannot be written as UTF-8)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_NEWLINES = re.compile(_UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe to show on a terminal: each unsafe character as a visible escape."""
    return (_UNSAFE_KEEP_NEWLINES if keep_newlines else _UNSAFE).sub(_escape_char, text)


def _escape_char(m: re.Match) -> str:
    ch = m.group()
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: 2 for CJK and most emoji, 0 for combining marks."""
    from wcwidth import wcswidth, wcwidth  # 15 ms to import: only when a table is drawn

    n = wcswidth(text)
    return n if n >= 0 else sum(max(wcwidth(ch), 0) for ch in text)


def cell(value) -> str:
    """A value as people read it: JSON's words for null and booleans, compact JSON for objects
    and arrays, control characters escaped."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return escape(str(value))


def _exact(value) -> str:
    """A value for CSV: strings as they are, objects and arrays as JSON, null as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    # a lone surrogate (from a "\ud800" escape in the API's JSON) cannot be written as UTF-8
    return _SURROGATE.sub("\ufffd", str(value))


def to_json(value, indent: int | None = None) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    # unpaired surrogates only occur inside JSON strings, where the escape means the same
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(fmt: str, columns: list[str], rows: list[dict], *, max_width: int | None = None,
           vertical: bool = False) -> str:
    """The text for one result; ends with a newline unless empty. ``max_width`` fits a table to
    the terminal; ``vertical`` shows a table one field per line (full values)."""
    objects = ({c: r.get(c) for c in columns} for r in rows)
    if fmt == "json":
        return to_json(list(objects), indent=2) + "\n"
    if fmt == "ndjson":
        return "".join(to_json(o) + "\n" for o in objects)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([_exact(c) for c in columns])
        for r in rows:
            w.writerow([_exact(r.get(c)) for c in columns])
        return buf.getvalue()
    if fmt == "text":
        lines = ["\t".join(escape(c) for c in columns)]
        lines += ["\t".join(cell(r.get(c)) for c in columns) for r in rows]
        return "\n".join(lines) + "\n"
    if vertical:
        return records(columns, rows)
    return table(columns, rows, max_width)


def request_row(req) -> dict:
    """A planned request as a row (EXPLAIN, --dry-run -o json): the token masked."""
    return {"method": req.method, "url": req.url, "headers": req.headers(),
            "body": req.body if req.has_body else None}


def request_text(req) -> str:
    """A planned request as --dry-run prints it: readable HTTP, the token masked."""
    lines = [f"{req.method} {req.url}"] + [f"{k}: {v}" for k, v in req.headers().items()]
    if req.has_body:
        lines += ["", json.dumps(req.body, indent=2, ensure_ascii=False)]
    return "\n".join(lines)


def render_result(result, fmt: str, *, max_width: int | None = None, vertical: bool = False,
                  requests_as_rows: bool = True) -> str | None:
    """The data text of one statement's result, or None when it has only a status message (for
    stderr). A dry run prints its requests: as objects (method, url, masked headers, body) in
    json/ndjson when ``requests_as_rows``, else as readable HTTP."""
    if result.dry_run:
        if requests_as_rows and fmt in ("json", "ndjson"):
            return render(fmt, ["method", "url", "headers", "body"],
                          [request_row(r) for r in result.requests])
        return escape(result.message, keep_newlines=True) + "\n"
    if result.message is not None and not result.columns:
        return None
    return render(fmt, result.columns, result.rows, max_width=max_width, vertical=vertical)


def table(columns: list[str], rows: list[dict], max_width: int | None = None) -> str:
    heads = [escape(c) for c in columns]
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([width(h)] + [width(row[i]) for row in cells]) for i, h in enumerate(heads)]
    if max_width is not None:
        widths = fit(widths, max_width - 3 * len(widths) - 1)  # "| " + " | " ... + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"

    def line(values, center=False):
        return "|" + "|".join(f" {clip(v, w, center)} " for v, w in zip(values, widths)) + "|"

    return "\n".join([rule, line(heads, True), rule, *(line(r) for r in cells), rule]) + "\n"


def fit(widths: list[int], room: int) -> list[int]:
    """Column widths adding up to at most ``room``: the widest columns are cut first, to one
    common cap, and no column below MIN_CELL (or its own width, if narrower)."""
    if sum(widths) <= room or not widths:
        return widths
    low, high = MIN_CELL, max(widths)
    while low < high:  # the largest cap that fits
        mid = (low + high + 1) // 2
        if sum(min(w, mid) for w in widths) <= room:
            low = mid
        else:
            high = mid - 1
    capped = [min(w, low) for w in widths]
    spare = room - sum(capped)
    for i, w in enumerate(widths):  # hand what is left to the cut columns, left to right
        if spare <= 0:
            break
        if w > capped[i]:
            extra = min(spare, w - capped[i])
            capped[i] += extra
            spare -= extra
    return capped


def clip(text: str, w: int, center: bool = False) -> str:
    """``text`` padded to ``w`` columns, or cut to ``w`` with MARK as its last column."""
    n = width(text)
    if n <= w:
        pad = w - n
        if center:
            return " " * (pad // 2) + text + " " * (pad - pad // 2)
        return text + " " * pad
    from wcwidth import wcwidth

    out, used = [], 0
    for ch in text:
        cw = max(wcwidth(ch), 0)
        if used + cw > w - 1:
            break
        out.append(ch)
        used += cw
    return "".join(out) + MARK + " " * (w - 1 - used)


def records(columns: list[str], rows: list[dict]) -> str:
    """One field per line, as psql's expanded mode: for rows too wide for a table."""
    heads = [escape(c) for c in columns]
    label = max((width(h) for h in heads), default=0)
    out = []
    for n, r in enumerate(rows, 1):
        out.append(f"-[ RECORD {n} ]" + "-" * max(label - 10, 3))
        out += [f"{clip(h, label)} | {cell(r.get(c))}" for h, c in zip(heads, columns)]
    return "\n".join(out) + "\n" if out else ""
