"""The one lexer of httpql's own: where strings, quoted names and comments begin and end.

sqlglot tokenizes what it parses; everything httpql does with SQL text before or beside that —
masking literals for the shape cache (``shapes.py``), pointing at an unterminated string
(``translate.py``), finding where a statement ends and what to complete in the shell
(``cli/sqltext.py``) — reads the text through ``segments`` here, so they can never disagree
about whether a ';' or a quote is inside a string, a quoted name or a comment.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_STATEMENT_CHARS = 1_000_000  # a whole script
MAX_CACHED_CHARS = 20_000  # longer scripts are parsed each time, not kept in memory

_SEGMENT = re.compile(r"""
    (?P<comment>--[^\n]*)
  | (?P<block>/\*.*?(?P<block_end>\*/|\Z))
  | (?P<string>'(?:[^']|'')*(?P<sq_end>')?)
  | (?P<quoted>"(?:[^"]|"")*(?P<dq_end>")?|`[^`]*(?P<bq_end>`)?)
  | (?P<code>[^-/"`']+|[-/])
""", re.VERBOSE | re.DOTALL)
_ENDS = {"block": ("block_end",), "string": ("sq_end",), "quoted": ("dq_end", "bq_end")}


class Segment(NamedTuple):
    kind: str  # comment | block | string | quoted | code
    text: str
    start: int
    end: int
    closed: bool = True  # False for a string, quoted name or block comment open at the end


def segments(text: str) -> list[Segment]:
    out = []
    for m in _SEGMENT.finditer(text):
        kind = m.lastgroup  # the outer group: it closes after any end group inside it
        ends = _ENDS.get(kind)
        closed = ends is None or any(m.group(g) for g in ends)  # \Z matches empty: open
        out.append(Segment(kind, m.group(), m.start(), m.end(), closed))
    return out


def strings(text: str):
    """(start, end, text, closed) of each string literal: ``segments`` narrowed to what the
    shape cache needs, without building the others (it runs once per statement)."""
    for m in _SEGMENT.finditer(text):
        if m.lastgroup == "string":
            yield m.start(), m.end(), m.group(), m.group("sq_end") is not None
