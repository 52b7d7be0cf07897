"""What the shell offers for the word at the cursor, from the manifests and the meta commands.

``suggest`` is pure (no prompt_toolkit) so it can be unit-tested; matching is a case-insensitive
prefix, and each suggestion replaces the whole word being typed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ..manifest.model import Provider, Registry, Resource, Service
from ..output import FORMATS
from . import meta_commands
from .sqltext import Token, code, lex

STATEMENTS = ("SELECT", "INSERT INTO", "EXEC", "SHOW", "DESCRIBE", "UPDATE", "REPLACE",
              "DELETE FROM", "EXPLAIN")
SHOW_KINDS = ("PROVIDERS", "SERVICES IN", "RESOURCES IN", "METHODS IN")
# how many dotted parts the name after SHOW <kind> IN has
SHOW_DEPTH = {"SERVICES": 1, "RESOURCES": 2, "METHODS": 3}
NAME_WORDS = ("INTO", "FROM", "DESCRIBE", "DESC", "UPDATE", "EXTENDED")
# the verb whose methods' parameters a clause names
VERB = {"SELECT": "select", "DELETE": "delete", "UPDATE": "update", "REPLACE": "replace"}


def suggest(registry: Registry, text: str, cursor: int) -> list[str]:
    """Completions for the word that ends at ``cursor`` in ``text``."""
    before = text[:cursor]
    tokens = lex(before)
    if tokens and tokens[-1].end == len(before) and tokens[-1].kind in ("string", "comment",
                                                                         "block"):
        return []  # inside (or touching) a literal or comment
    line_start = before.rfind("\n") + 1
    call = meta_commands.parse_line(before[line_start:])
    if call is not None or before[line_start:].lstrip().startswith((".", "\\")):
        return _suggest_meta(registry, before[line_start:].lstrip())
    toks = _statement(code(tokens))
    word = ""
    if toks and toks[-1].kind == "word" and toks[-1].end == len(before):
        word = toks.pop().text
    ctx = [t.text for t in toks]
    later = _statement(code(lex(text[cursor:])), last=False)  # e.g. the FROM after SELECT's list
    return _suggest(registry, ctx, [t.upper() for t in ctx], word, [t.text for t in later])


def _statement(tokens: list[Token], last: bool = True) -> list[Token]:
    """Only the statement the cursor is in matters: after the last ';' before it, or up to the
    first ';' after it."""
    for i in (range(len(tokens) - 1, -1, -1) if last else range(len(tokens))):
        if tokens[i].text == ";":
            return tokens[i + 1:] if last else tokens[:i]
    return tokens


def _suggest(registry: Registry, ctx: list[str], upper: list[str], word: str,
             later: list[str]) -> list[str]:
    if not upper:
        return _match(STATEMENTS, word)
    if upper[0] == "EXPLAIN":  # completes as the statement it explains
        return _suggest(registry, ctx[1:], upper[1:], word, later)
    first, prev = upper[0], upper[-1]
    if "RETURNING" in upper:
        return _returning(registry, ctx, upper, word)
    if first == "SHOW":
        return _suggest_show(registry, upper[1:], word)
    if first in ("EXEC", "EXECUTE"):
        return _names(registry, word, 4) if len(upper) == 1 else _exec_params(registry, ctx, word)
    if first == "INSERT":
        return _suggest_insert(registry, ctx, upper, word)
    if upper in (["DESCRIBE"], ["DESC"]):
        return _names(registry, word, 3) + _match(["EXTENDED"], word)
    if first == "SELECT" and "FROM" not in upper:
        return _select_list(registry, prev, word, later)
    if prev in NAME_WORDS:
        return _names(registry, word, 3)
    if first in VERB:
        return _clauses(registry, ctx, upper, word)
    return []


def _suggest_meta(registry: Registry, line: str) -> list[str]:
    typed, space, arg = line.partition(" ")
    if not space:
        return _match(meta_commands.names(), typed)
    command = meta_commands.lookup(typed)
    if command is None or " " in arg.strip():
        return []
    kind = command.argument
    if kind == "format":
        return _match(FORMATS, arg)
    if kind == "switch":
        return _match(["on", "off"], arg)
    if kind == "file":
        return _files(arg)
    depth = {"provider": 1, "resource": 3}.get(kind or "")
    return _names(registry, arg, depth) if depth else []


def _files(word: str) -> list[str]:
    """Files and folders (these with a '/') whose path starts with ``word``."""
    folder, _, start = word.rpartition("/")
    try:
        entries = sorted(os.scandir(os.path.expanduser(folder or ".")), key=lambda e: e.name)
    except OSError:
        return []
    prefix = f"{folder}/" if folder or word.startswith("/") else ""
    return [prefix + e.name + ("/" if e.is_dir() else "") for e in entries
            if e.name.startswith(start) and (start.startswith(".") or not e.name.startswith("."))]


def _suggest_show(registry: Registry, rest: list[str], word: str) -> list[str]:
    if rest[:1] == ["INSERT"]:  # SHOW INSERT [/*+ REQUIRED */] INTO resource[.method]
        rest = rest[1:]
        if not rest:
            return _match(["INTO", "/*+ REQUIRED */ INTO"], word)
        if rest == ["INTO"]:
            return _names(registry, word, 3) + (_names(registry, word, 4) if word.count(".") >= 3
                                                else [])
        return []
    kinds = list(SHOW_KINDS)
    if rest[:1] == ["EXTENDED"]:
        rest = rest[1:]
        kinds.remove("PROVIDERS")
    else:
        kinds += ["INSERT INTO", "EXTENDED"]
    if not rest:
        return _match(kinds, word)
    kind = rest[0]
    if len(rest) == 1:
        return _match(["LIKE"] if kind == "PROVIDERS" else ["IN"], word)
    if len(rest) == 2 and rest[1] == "IN" and kind in SHOW_DEPTH:
        return _names(registry, word, SHOW_DEPTH[kind])
    if len(rest) == 3 and rest[1] == "IN":
        return _match(["LIKE", "WHERE"], word)
    return []


def _exec_params(registry: Registry, ctx: list[str], word: str) -> list[str]:
    found = _node(registry, ctx[1].split("."))
    method = found[1] if found is not None and len(found[0]) == 4 else None
    prev = ctx[-1]
    if method is None or (not word.startswith("@")
                          and (word or prev == "=" or prev.startswith("@"))):
        return []  # no such method, or a value or the '=' is due here
    given = {t.lstrip("@").lower() for t in ctx[2:] if t.startswith("@")}
    names = [f"@{p}" for p in method.params if p.lower() not in given]
    return _match(names + ["@@json"], word)


def _suggest_insert(registry: Registry, ctx: list[str], upper: list[str], word: str) -> list[str]:
    if len(upper) == 1:
        return _match(["INTO"], word)
    if upper[1] != "INTO":
        return []
    if len(upper) == 2:
        return _names(registry, word, 3)
    if len(upper) == 3 or upper[3] != "(":
        return []
    if ")" in upper[4:]:  # the column list is closed; its rows come next
        rows = upper[upper.index(")", 4) + 1:]
        if not rows:
            return _match(["SELECT", "VALUES"], word)
        depth = rows.count("(") - rows.count(")")
        done = rows[-1] == ")" if rows[0] == "VALUES" else rows[-1] not in (",", "SELECT")
        return _match(["RETURNING"], word) if depth == 0 and done else []
    resource = _resource(registry, ctx[2])
    if upper[-1] not in ("(", ",") or resource is None:
        return []
    given = set(upper[4:])
    return _match([c for c in _params(resource, "insert") if c.upper() not in given], word)


def _select_list(registry: Registry, prev: str, word: str, later: list[str]) -> list[str]:
    """Fields between SELECT and a FROM typed further on."""
    upper = [t.upper() for t in later]
    if prev not in ("SELECT", ",") or "FROM" not in upper[:-1]:
        return _match(["FROM"], word) if prev not in ("SELECT", ",") else []
    resource = _resource(registry, later[upper.index("FROM") + 1])
    return _match(["*", *_fields(resource, "select")], word) if resource else []


def _clauses(registry: Registry, ctx: list[str], upper: list[str], word: str) -> list[str]:
    """SELECT ... FROM, DELETE FROM, UPDATE/REPLACE: WHERE and SET name the verb's parameters."""
    verb = VERB[upper[0]]
    at = upper.index("FROM") + 1 if upper[0] in ("SELECT", "DELETE") and "FROM" in upper else 1
    if at >= len(ctx):
        return []
    resource = _resource(registry, ctx[at])
    if resource is None:
        return []
    prev, clause = upper[-1], next((w for w in reversed(upper) if w in ("WHERE", "SET")), None)
    if prev in ("WHERE", "AND") or (prev in ("SET", ",") and clause == "SET"):
        given = {upper[i - 1] for i, t in enumerate(upper) if t == "=" and i > 0}
        return _match([p for p in _params(resource, verb) if p.upper() not in given], word)
    if prev == "=":
        return []  # a value goes here
    after_target = len(upper) == at + 1
    if after_target:
        words = ["SET"] if verb in ("update", "replace") else ["WHERE"]
    elif clause is None:
        return []
    else:
        words = (["WHERE"] if clause == "SET" else ["AND"])
        if verb != "select":
            words.append("RETURNING")
    return _match(words, word)


def _returning(registry: Registry, ctx: list[str], upper: list[str], word: str) -> list[str]:
    if upper[-1] not in ("RETURNING", ","):
        return []
    first = upper[0]
    name = (ctx[2] if first in ("INSERT", "DELETE") and len(ctx) > 2 else
            ctx[1] if first in ("UPDATE", "REPLACE") and len(ctx) > 1 else None)
    resource = _resource(registry, name) if name else None
    if resource is None:
        return []
    verb = "insert" if first == "INSERT" else VERB.get(first, "")
    given = set(upper[upper.index("RETURNING") + 1:])
    return _match([f for f in ["*", *_fields(resource, verb)] if f.upper() not in given], word)


def _resource(registry: Registry, name: str) -> Resource | None:
    found = _node(registry, name.split("."))
    return found[1] if found is not None and len(found[0]) == 3 else None


def _params(resource: Resource, verb: str) -> list[str]:
    return list(dict.fromkeys(p for m in resource.methods_for(verb) for p in m.params))


def _fields(resource: Resource, verb: str) -> list[str]:
    """The response's fields, nested ones dotted: a method's own when its manifest gives them,
    else the resource's."""
    out: dict[str, None] = {}

    def walk(fields: dict, prefix: str) -> None:
        for name, f in fields.items():
            out[prefix + name] = None
            walk(f.properties or {}, f"{prefix}{name}.")

    for m in resource.methods_for(verb) or [None]:
        walk(getattr(m, "fields", None) or resource.fields, "")
    return list(out)


def _names(registry: Registry, word: str, depth: int) -> list[str]:
    """Dotted names up to ``depth`` parts: provider, provider.service, ... (.method at 4)."""
    *parents, last = word.split(".")
    found = _node(registry, parents) if len(parents) < depth else None
    if found is None:
        return []
    path, node = found
    return [".".join([*path, name]) for name in _match(_children(node), last)]


def _node(registry: Registry, parts: list[str]) -> tuple[list[str], object] | None:
    """Resolve dotted ``parts`` case-insensitively: (canonical names, the node they name)."""
    path: list[str] = []
    node: object = registry
    for part in parts:
        children = _children(node)
        name = next((n for n in children if n.lower() == part.lower()), None)
        if name is None:
            return None
        path.append(name)
        node = children[name]
    return path, node


def _children(node) -> dict:
    if isinstance(node, Registry):
        return node.providers
    if isinstance(node, Provider):
        return node.services
    if isinstance(node, Service):
        return node.resources
    if isinstance(node, Resource):
        return {m.name: m for m in node.methods}
    return {}


def _match(candidates: Iterable[str], word: str) -> list[str]:
    return [c for c in candidates if c.lower().startswith(word.lower())]


def current_word(text_before_cursor: str) -> str:
    """The text a suggestion replaces: the word the lexer sees, or a meta command's argument."""
    line = text_before_cursor[text_before_cursor.rfind("\n") + 1:].lstrip()
    if line.startswith((".", "\\")):
        typed, space, arg = line.partition(" ")
        return arg if space else typed
    m = re.search(r"[@\w.]*\Z", text_before_cursor)
    return m.group() if m else ""
