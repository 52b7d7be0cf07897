"""Just enough SQL lexing for the shell: where a statement ends, and what a line is.

Pure functions, no prompt_toolkit: the shell, its completion and its tests share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from ..sql.lexer import segments

_WORD = re.compile(r"\s+|[@\w.]+|.", re.DOTALL)  # inside code: words and punctuation


class Token(NamedTuple):
    kind: str  # comment | block | string | word | punct
    text: str
    end: int
    closed: bool = True  # False for a string or block comment still open at the end of the text


def lex(text: str) -> list[Token]:
    """Tokens for the shell, from the one lexer (``sql/lexer.py``): its strings, quoted names
    and comments as they are, and code split into words and punctuation."""
    tokens = []
    for seg in segments(text):
        if seg.kind == "code":
            for m in _WORD.finditer(seg.text):
                word = m.group()
                if not word.isspace():
                    kind = "word" if len(word) > 1 or word[0] in "@_." or word.isalnum() \
                        else "punct"
                    tokens.append(Token(kind, word, seg.start + m.end()))
        else:
            kind = "string" if seg.kind == "quoted" else seg.kind
            tokens.append(Token(kind, seg.text, seg.end, seg.closed))
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
