"""Just enough SQL lexing for the shell: where a statement ends, and what a line is.

Pure functions, no prompt_toolkit: the shell, its completion and its tests share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

_LEX = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*)
  | (?P<block>/\*(?:(?!\*/).)*(?P<block_end>\*/)?)
  | (?P<string>'(?:[^']|'')*(?P<sq_end>')?
              |"(?:[^"]|"")*(?P<dq_end>")?
              |`[^`]*(?P<bq_end>`)?)
  | (?P<word>[@\w.]+)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


class Token(NamedTuple):
    kind: str  # comment | block | string | word | punct
    text: str
    end: int
    closed: bool = True  # False for a string or block comment still open at the end of the text


def lex(text: str) -> list[Token]:
    tokens = []
    for m in _LEX.finditer(text):
        if m.group("space") is not None:
            continue
        if m.group("block") is not None:
            tokens.append(Token("block", m.group(), m.end(), m.group("block_end") is not None))
        elif m.group("string") is not None:
            closed = any(m.group(g) is not None for g in ("sq_end", "dq_end", "bq_end"))
            tokens.append(Token("string", m.group(), m.end(), closed))
        else:
            tokens.append(Token(m.lastgroup, m.group(), m.end()))
    return tokens


def code(tokens: Iterable[Token]) -> list[Token]:
    """The tokens that are not comments."""
    return [t for t in tokens if t.kind not in ("comment", "block")]


def is_open(text: str) -> bool:
    """True when the text ends inside a string literal or a block comment."""
    tokens = lex(text)
    return bool(tokens) and not tokens[-1].closed


def _ends_vertical(tokens: list[Token]) -> bool:
    """The statement ends with \\G (MySQL's "show this one vertically")."""
    return (len(tokens) >= 2 and tokens[-2].text == "\\" and tokens[-1].text == "G"
            and tokens[-1].end == tokens[-2].end + 1)


def is_complete(text: str) -> bool:
    """True when the text ends a statement: its last token outside comments is ';' or \\G."""
    tokens = lex(text)
    if tokens and not tokens[-1].closed:
        return False
    tokens = code(tokens)
    return bool(tokens) and (tokens[-1].text == ";" or _ends_vertical(tokens))


def split_vertical(text: str) -> tuple[str, bool]:
    """``text`` with a final \\G turned into ';', and whether it was there."""
    tokens = code(lex(text))
    if not _ends_vertical(tokens):
        return text, False
    start = tokens[-2].end - 1
    return text[:start] + ";" + text[tokens[-1].end:], True
