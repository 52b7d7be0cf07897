"""The problem collector shared by the manifest loaders: each problem names file and key."""

from __future__ import annotations

import re
from pathlib import Path

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # used with fullmatch: '$' would allow a final '\n'


class Checker:
    """Collects problems for one file, prefixed with file and key."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = path, problems

    def bad(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path}: {key}: {message}")

    def keys(self, key: str, doc: dict, allowed: set[str], required: set[str]) -> None:
        for k in doc:
            if k not in allowed:
                self.bad(f"{key}.{k}" if key else str(k), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in sorted(required - set(doc)):
            self.bad(f"{key}.{k}" if key else k, "missing")

    def str(self, key: str, value, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            self.bad(key, f"must be a {'non-empty ' if required else ''}string, got {shown(value)}")
            return ""
        return value

    def name(self, key: str, value: str, what: str) -> None:
        if value and not NAME.fullmatch(value):
            self.bad(key, f"'{value}' must be a plain identifier (letters, digits, _) to be "
                          f"usable as a {what} name")

    def env(self, key: str, value, secret: bool = False) -> str | None:
        """An environment variable's name (never its value). With ``secret``, a wrong value is
        not echoed: it may be the token itself, pasted in by mistake."""
        if value is None:
            return None
        if not isinstance(value, str) or not NAME.fullmatch(value):
            got = shown(value).split()[0] + " (not shown)" if secret else shown(value)
            self.bad(key, f"must be the name of an environment variable (letters, digits, _), "
                          f"got {got}")
            return None
        return value

    def bool(self, key: str, doc: dict, name: str) -> bool:
        value = doc.get(name, False)
        if not isinstance(value, bool):
            self.bad(f"{key}.{name}", f"must be true or false, got {shown(value)}")
            return False
        return value

    def names(self, key: str, mapping: dict) -> dict:
        """``mapping`` without the entries whose name is not a string (each one a problem)."""
        for k in mapping:
            if not isinstance(k, str) or not k:
                self.bad(f"{key}.{k}", f"a name must be a non-empty string, got {shown(k)} "
                                       "(quote it: YAML reads yes, no, on, off and numbers "
                                       "as other types)")
        return {k: v for k, v in mapping.items() if isinstance(k, str) and k}


def shown(value) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "null"}.get(type(value), type(value).__name__)
    return f"{kind} {value!r}"


def mapping(c: Checker, key: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.bad(key, "must be a mapping of names to definitions")
        return {}
    return c.names(key, value)


def names(c: Checker, key: str, value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.bad(key, f"must be a list of parameter names, got {shown(value)}")
        return []
    for v in sorted({v for v in value if value.count(v) > 1}):
        c.bad(key, f"lists '{v}' more than once")
    return list(dict.fromkeys(value))


def ecma_pattern(text: str) -> str:
    r"""``text`` with every end anchor ``$`` (unescaped, outside ``[...]``) written ``\Z``.

    A manifest's pattern has JSON Schema (ECMAScript) meaning, where ``$`` matches only at the very
    end; Python's ``$`` also matches before a final newline, which would let 'abc\n' through.
    """
    out, i, n, in_class = [], 0, len(text), False
    while i < n:
        ch = text[i]
        if ch == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and text[i] == "^":
                out.append("^")
                i += 1
            if i < n and text[i] == "]":  # a ']' first in a class is a literal in Python
                out.append("]")
                i += 1
            continue
        elif ch == "$":
            ch = r"\Z"
        out.append(ch)
        i += 1
    return "".join(out)
