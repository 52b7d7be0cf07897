"""SQL text -> typed statements through the StackQL sqlglot dialect (``parse.py`` decides when).

A script is tokenized once and split on ``;`` so every statement keeps its own source text and
line. sqlglot's tree is translated into the small statements of ``statements.py``; errors name
line, column and the user's own text.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from functools import lru_cache

from sqlglot import errors as sqlglot_errors
from sqlglot import exp
from sqlglot.tokens import TokenType

from ..errors import NotSupportedError, ParseError, ProgrammingError
from . import statements as st
from .dialect import DottedName, Exec, Show, StackQL
from .lexer import MAX_CACHED_CHARS, MAX_STATEMENT_CHARS, segments

_DIALECT = StackQL()
# sqlglot warns on its logger when it falls back to a Command; httpql raises a clear error for
# those instead, so the warning would only repeat it on stderr
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def parse_text(sql: str) -> tuple[st.Statement, ...]:
    """The statements of ``sql``; repeated small texts re-use their parse (statements are
    immutable), large ones are not kept in memory."""
    return _parse_cached(sql) if len(sql) <= MAX_CACHED_CHARS else _parse(sql)


@lru_cache(maxsize=256)
def _parse_cached(sql: str) -> tuple[st.Statement, ...]:
    return _parse(sql)


def _parse(sql: str) -> tuple[st.Statement, ...]:
    if len(sql) > MAX_STATEMENT_CHARS:
        raise ParseError(f"script is {len(sql):,} characters long; the limit is "
                         f"{MAX_STATEMENT_CHARS:,}")
    try:
        tokens = _DIALECT.tokenize(sql)
    except sqlglot_errors.TokenError:
        raise _token_error(sql) from None
    out = []
    qmarks = 0  # ``?`` placeholders are numbered across the whole script
    for chunk in _split(tokens):
        text = sql[chunk[0].start:chunk[-1].end + 1]
        if chunk[0].text.upper() == "EXPLAIN":
            out.append(_explain(sql, chunk, text))
            continue
        _check_first_word(chunk[0], text)
        chunk, hints = _hints(chunk)
        try:
            trees = _DIALECT.parser().parse(chunk, sql)
        except sqlglot_errors.ParseError as e:
            raise _parse_error(e, text) from None
        except (sqlglot_errors.TokenError, ValueError, TypeError, IndexError, KeyError,
                AttributeError, RecursionError) as e:
            # sqlglot can trip over very odd input (a TokenError here comes from re-reading a
            # quoted name as a type); that is still a syntax error to the user
            raise ParseError(f"syntax error at line {chunk[0].line}: cannot parse this statement "
                             f"({type(e).__name__})", line=chunk[0].line, statement=text) from None
        for tree in trees:
            if tree is not None:
                for ph in tree.find_all(exp.Placeholder, bfs=False):
                    if not ph.this:
                        ph.meta["index"] = qmarks
                        qmarks += 1
                try:
                    stmt = _translate(tree, text, chunk[0].line)
                    out.append(dataclasses.replace(stmt, hints=hints) if hints else stmt)
                except _Located as e:
                    raise _located_error(e, sql, text, chunk[0].line) from None
                except RecursionError:
                    raise ParseError(f"the statement at line {chunk[0].line} nests too deeply to "
                                     "read; for many rows use VALUES (...), (...)",
                                     line=chunk[0].line, statement=text) from None
    return tuple(out)


def _explain(sql: str, chunk: list, text: str) -> st.Explain:
    """EXPLAIN <statement>: the statement is parsed on its own, with everything before it blanked
    (newlines kept) so its errors keep their real line and column."""
    word = chunk[0]
    rest = sql[word.end + 1:chunk[-1].end + 1]
    if not rest.strip():
        raise ParseError(f"syntax error at line {word.line}: EXPLAIN needs a statement after it, "
                         "e.g. EXPLAIN INSERT INTO ...", line=word.line, statement=text)
    blank = re.sub(r"[^\n]", " ", sql[:word.end + 1])
    inner = _parse(blank + rest)
    if len(inner) != 1 or isinstance(inner[0], st.Explain):
        raise ParseError(f"EXPLAIN takes one statement (line {word.line})", line=word.line,
                         statement=text)
    return st.Explain(statement=inner[0], text=text, line=word.line)


# stackql's query hints; others are read and reported as ignored
_HINT_WORD = re.compile(r"[A-Za-z_]+")


def _hints(chunk: list) -> tuple[list, tuple[str, ...]]:
    """The chunk without its /*+ ... */ hint comments, and the hint names (upper case). sqlglot
    reads hints only after SELECT; stackql puts them after INSERT, UPDATE, DELETE, EXEC and
    SHOW INSERT too."""
    hints = tuple(w.upper() for t in chunk if t.token_type == TokenType.HINT
                  for w in _HINT_WORD.findall(t.text))
    if not hints:
        return chunk, ()
    return [t for t in chunk if t.token_type != TokenType.HINT], hints


def _split(tokens):
    chunk = []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if chunk:
                yield chunk
            chunk = []
        else:
            chunk.append(token)
    if chunk:
        yield chunk


STATEMENT_WORDS = ("SHOW", "DESCRIBE", "DESC", "EXEC", "EXECUTE", "SELECT", "INSERT", "UPDATE",
                   "REPLACE", "DELETE", "EXPLAIN")


def _check_first_word(token, text: str) -> None:
    # Anything else would reach sqlglot's expression or Command fallback and come back as
    # something we do not run; say so with the position instead.
    word = token.text.upper()
    if token.token_type == TokenType.L_PAREN or word in STATEMENT_WORDS:
        return
    import difflib

    close = difflib.get_close_matches(word, STATEMENT_WORDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    col = token.col - len(token.text) + 1  # sqlglot's col is where the token ends
    raise ParseError(f"syntax error at line {token.line}, column {col}: unknown statement "
                     f"'{token.text}'{hint}; httpql runs SHOW, DESCRIBE, SELECT, INSERT, UPDATE, REPLACE, "
                     "DELETE and EXEC", line=token.line, col=col, statement=text)


_MISSING = re.compile(r"Required keyword: '\w+' missing for <class '(?:[\w]+\.)*(\w+)'>")

_OPEN_KINDS = {"string": "string", "quoted": "quoted name", "block": "comment"}


def _token_error(sql: str) -> ParseError:
    # sqlglot's TokenError does not say where the bad token began: the lexer finds the string,
    # quoted name or comment that never closes
    start, kind = len(sql), "string, quoted name or comment"
    for seg in segments(sql):
        if not seg.closed:
            start, kind = seg.start, _OPEN_KINDS[seg.kind]
            break
    line, col = _line_col(sql, start)
    near = sql[start:start + 40].split("\n", 1)[0]
    return ParseError(f"syntax error at line {line}, column {col}: unterminated {kind} starting "
                      f"at '{near}'", line=line, col=col, statement=sql)


def _line_col(sql: str, offset: int) -> tuple[int, int]:
    return sql.count("\n", 0, offset) + 1, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _parse_error(e: sqlglot_errors.ParseError, text: str) -> ParseError:
    info = e.errors[0] if e.errors else {}
    line, col = info.get("line"), info.get("col")
    near = (info.get("highlight") or "").strip()
    desc = info.get("description") or str(e).split("\n")[0]
    if "<Token" in desc:  # sqlglot's messages can embed token reprs; the position says enough
        desc = desc.split(" but got <Token")[0].split(" <Token")[0]
    if near == "SENTINEL":
        near = ""
    missing = _MISSING.search(desc)
    if missing:  # "Required keyword: 'this' missing for <class ...Where>": a clause left empty
        clause = missing.group(1).upper()
        desc = ("unclosed or empty parenthesis" if clause == "PAREN"
                else f"{clause} is incomplete: something must follow it")
    if col and near and "\n" not in near:
        col = max(1, col - len(near) + 1)  # report where the offending text starts
    where = f" at line {line}, column {col}" if line else ""
    near_txt = f" near '{near[:60]}'" if near else ""
    return ParseError(f"syntax error{where}{near_txt}: {desc}", line=line, col=col, statement=text)


# --- sqlglot tree -> statements ---------------------------------------------------------------

class _Located(Exception):
    """A meaning error found while translating, at ``node`` (or at ``keyword`` after ``after``).
    ``{near}`` in the message becomes the user's own text of that node."""

    def __init__(self, message: str, node: exp.Expr | None = None, *, keyword: str | None = None,
                 after: exp.Expr | None = None) -> None:
        super().__init__(message)
        self.message, self.node, self.keyword, self.after = message, node, keyword, after


def _span(node: exp.Expr) -> tuple[int, int] | None:
    """Source offsets of everything sqlglot recorded a position for under ``node``."""
    points = [(n.meta["start"], n.meta["end"]) for n in node.walk() if "start" in n.meta]
    if not points:
        return None
    return min(p[0] for p in points), max(p[1] for p in points)


def _located_error(e: _Located, sql: str, text: str, line: int) -> ParseError:
    span = _span(e.node) if e.node is not None else None
    if span and e.keyword:
        after = _span(e.after) if e.after is not None else None
        m = re.compile(rf"\b{e.keyword}\b", re.I).search(sql, after[1] + 1 if after else span[0])
        span = (m.start(), m.end() - 1) if m else span
    elif span:
        start, end = span
        # sqlglot records a function's name and arguments, not its closing parenthesis
        depth = sql.count("(", start, end + 1) - sql.count(")", start, end + 1)
        if depth == 0 and sql[end + 1:].lstrip().startswith("(") and isinstance(e.node, exp.Func):
            depth, end = 1, sql.index("(", end + 1)
        while depth > 0 and end + 1 < len(sql):
            end += 1
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
        span = (start, end)
    if span is None:
        shown = text if len(text) <= 80 else text[:77] + "..."
        return ParseError(f"{e.message.replace('{near}', shown)} (line {line})", line=line,
                          statement=text)
    near = sql[span[0]:span[1] + 1]
    at_line, col = _line_col(sql, span[0])
    at = "" if "{near}" in e.message else f", at '{near[:60]}'"
    message = e.message.replace("{near}", near if len(near) <= 80 else near[:77] + "...")
    return ParseError(f"{message} (line {at_line}, column {col}{at})", line=at_line, col=col,
                      statement=text)


def _translate(tree: exp.Expr, text: str, line: int) -> st.Statement:
    kw = {"text": text, "line": line}
    if isinstance(tree, Show):
        like = tree.args.get("like")
        where = tree.args.get("where")
        return st.Show(kind=tree.args["kind"], target=_name(tree.this) if tree.this else (),
                       extended=bool(tree.args.get("extended")),
                       like=like.this if like is not None else None,
                       where=_condition(where.this) if where is not None else None, **kw)
    if isinstance(tree, exp.Describe):
        target = tree.this
        if not isinstance(target, exp.Table):
            raise _Located("DESCRIBE takes a resource name: DESCRIBE provider.service.resource", target)
        style = (tree.args.get("style") or "").upper()
        if style not in ("", "EXTENDED"):
            raise _Located(f"DESCRIBE {style} is not supported: use DESCRIBE [EXTENDED] "
                           "provider.service.resource", tree)
        kind = tree.args.get("kind")
        _only(tree, {"this", "style"} | ({"kind"} if str(kind).upper() == "TABLE" else set()),
              "DESCRIBE")  # DESCRIBE TABLE x, as in MySQL
        return st.Describe(target=_table_name(target), extended=(tree.args.get("style") or "").upper()
                           == "EXTENDED", **kw)
    if isinstance(tree, Exec):
        return _exec(tree, kw)
    if isinstance(tree, exp.Insert):
        return _insert(tree, kw)
    if isinstance(tree, exp.Select):
        return _select(tree, kw)
    if isinstance(tree, exp.Delete):
        _only(tree, {"this", "where", "returning"}, "DELETE")
        return st.Delete(target=_table_name(tree.this), where=_where(tree.args.get("where")),
                         returning=_returning(tree.args.get("returning")), **kw)
    if isinstance(tree, exp.Update):
        replace = bool(tree.meta.get("replace"))
        _only(tree, {"this", "expressions", "where", "returning"}, "REPLACE" if replace else "UPDATE")
        sets = []
        for eq in tree.expressions:
            sets.append((_column_name(eq.this), _value(eq.expression)))
        return (st.Replace if replace else st.Update)(target=_table_name(tree.this), assignments=tuple(sets),
                         where=_where(tree.args.get("where")),
                         returning=_returning(tree.args.get("returning")), **kw)
    if isinstance(tree, exp.Command):
        word = str(tree.this).upper()
        raise ParseError(f"unsupported statement '{word}': httpql understands SHOW, DESCRIBE, "
                         "SELECT, INSERT, UPDATE, REPLACE, DELETE and EXEC", line=line, statement=text)
    raise _unsupported(text, f"{type(tree).__name__.upper()} statements are not supported: "
                             "httpql understands SHOW, DESCRIBE, SELECT, INSERT, UPDATE, REPLACE, DELETE and EXEC")


def _unsupported(text: str, message: str) -> ProgrammingError:
    return ProgrammingError(message, statement=text)


def _name(node: DottedName) -> tuple[str, ...]:
    return tuple(i.this for i in node.expressions)


def _table_name(node: exp.Expr) -> tuple[str, ...]:
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        _only(node, {"this", "db", "catalog"}, "a resource name")
    if not isinstance(node, exp.Table):
        raise _Located("expected a resource name like provider.service.resource, got '{near}'",
                       node if isinstance(node, exp.Expr) else None)
    parts = [p.name for p in node.parts]
    return tuple(parts)


def _column_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Column) and not node.table:
        return node.name
    raise _Located("expected a column name, got '{near}'",
                   node if isinstance(node, exp.Expr) else None)


def _value(node: exp.Expr) -> st.Value:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        raw = node.this
        try:
            return int(raw)
        except ValueError:  # a decimal, or more digits than Python converts
            number = float(raw)
            if not math.isfinite(number) or (number.is_integer() and "." not in raw
                                              and "e" not in raw.lower()):
                raise _Located("the number '{near}' is too large for a value", node) from None
            return number
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -_value(node.this)
    if isinstance(node, exp.Paren):
        return _value(node.this)
    if isinstance(node, exp.Placeholder):
        return st.Placeholder(node.this if node.this else node.meta["index"])
    raise _Located("only literal values are accepted here (strings, numbers, TRUE, FALSE, NULL, "
                   "? or :name); got '{near}'", node if isinstance(node, exp.Expr) else None)


def _exec(tree: Exec, kw: dict) -> st.Exec:
    params: dict[str, st.Value] = {}
    body, has_body = None, False
    for p in tree.expressions:
        name = p.this.this
        value = _value(p.expression)
        if p.args.get("json"):
            if name.lower() != "json":
                raise _Located(f"unknown parameter @@{name}: the only @@ parameter is @@json (a "
                               "whole request body)", p)
            if has_body:
                raise _Located("@@json is given twice", p)
            body, has_body = value, True
            continue
        if name in params:
            raise _Located(f"parameter @{name} is given twice", p)
        params[name] = value
    return st.Exec(target=_name(tree.this), params=tuple(params.items()), body_json=body,
                   has_body_json=has_body, returning=_returning(tree.args.get("returning")),
                   **kw)


def _insert(tree: exp.Insert, kw: dict) -> st.Insert:
    _only(tree, {"this", "expression", "returning"}, "INSERT")
    schema = tree.this
    if not isinstance(schema, exp.Schema) or not schema.expressions:
        raise _Located("INSERT needs a column list: INSERT INTO provider.service.resource "
                       "(col, ...) SELECT ... or VALUES (...)", schema)
    columns = tuple(c.name for c in schema.expressions)
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise _Located(f"column {', '.join(dupes)} is listed twice", schema)
    nodes = _row_nodes(tree.expression)
    rows = tuple(_row(node) for node in nodes)
    for i, row in enumerate(rows, 1):
        if len(row) != len(columns):
            raise _Located(f"row {i} has {len(row)} value(s) but {len(columns)} column(s) are "
                           f"listed ({', '.join(columns)})",
                           nodes[i - 1] if len(nodes) == len(rows) else tree.expression)
    return st.Insert(target=_table_name(schema), columns=columns, rows=rows,
                     returning=_returning(tree.args.get("returning")), **kw)


def _row_nodes(source: exp.Expr | None) -> list[exp.Expr]:
    """The rows of an INSERT's source, in order. Iterative: a script may join thousands of
    SELECTs with UNION ALL, and sqlglot nests each one a level deeper."""
    out, todo = [], [source]
    while todo:
        node = todo.pop()
        if isinstance(node, exp.Values):
            _only(node, {"expressions"}, "VALUES")
            out.extend(node.expressions)
        elif isinstance(node, exp.Union):
            if node.args.get("distinct"):
                raise _Located("use UNION ALL between rows of an INSERT (UNION would drop "
                               "duplicate rows)", node, keyword="UNION", after=node.this)
            _only(node, {"this", "expression", "distinct"}, "INSERT ... SELECT ... UNION ALL")
            todo += [node.expression, node.this]  # popped left first
        elif isinstance(node, exp.Subquery):
            todo.append(node.this)
        elif isinstance(node, exp.Select):
            if node.args.get("from_") or node.args.get("where"):
                raise _Located("INSERT ... SELECT takes literal values only, without FROM or "
                               "WHERE", node)
            _only(node, {"expressions"}, "INSERT ... SELECT")
            out.append(node)
        else:
            raise _Located("INSERT needs SELECT <values> or VALUES (...) after the column list",
                           node)
    return out


def _row(node: exp.Expr) -> tuple[st.Value, ...]:
    if isinstance(node, exp.Select):
        return tuple(_value(_unalias(v)) for v in node.expressions)
    return tuple(_value(v) for v in node.expressions)  # a VALUES tuple


_CLAUSES = {"limit": "LIMIT", "order": "ORDER BY", "conflict": "ON CONFLICT",
            "alternative": "INSERT OR ...", "overwrite": "OVERWRITE", "distinct": "DISTINCT",
            "into": "INTO", "alias": "an alias", "partition": "PARTITION", "as_json": "AS JSON",
            "joins": "JOIN", "group": "GROUP BY", "having": "HAVING", "offset": "OFFSET",
            "with_": "WITH", "expressions": "'{near}'", "using": "USING", "from_": "FROM",
            "where": "WHERE", "kind": "a kind"}


def _only(node: exp.Expr, allowed: set[str], where: str) -> None:
    """Refuse any clause sqlglot parsed into ``node`` beyond ``allowed``: a clause httpql would
    otherwise drop silently (LIMIT 0 on an INSERT must not send the request anyway)."""
    for key, value in node.args.items():
        if key in allowed or value is None or value is False or value == [] or value == "":
            continue
        at = value[0] if isinstance(value, list) else value
        label = _CLAUSES.get(key, key.upper().replace("_", " "))
        raise _Located(f"{label} is not supported in {where}",
                       at if isinstance(at, exp.Expr) else node)


def _unalias(node: exp.Expr) -> exp.Expr:
    return node.this if isinstance(node, exp.Alias) else node


def _path(node: exp.Expr) -> tuple[str, ...] | None:
    if isinstance(node, exp.Star):
        return ()
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Star):
            return None
        return tuple(p.name for p in node.parts)
    if isinstance(node, exp.Dot):
        left = _path(node.this)
        right = _path(node.expression)
        if left is None or right is None:
            return None
        return left + right
    if isinstance(node, exp.Identifier):
        return (node.this,)
    return None


def _columns(nodes, clause: str) -> tuple[st.Column, ...]:
    cols = []
    for node in nodes:
        alias = node.alias if isinstance(node, exp.Alias) else None
        path = _path(_unalias(node))
        if path is None or (alias and not path):
            raise _Located(f"{clause} takes field names, dotted paths (data.stream_key) and *; "
                           "got '{near}'", node)
        col = st.Column(path=path, alias=alias or None)
        if not col.star and any(c.label == col.label for c in cols):
            raise _Located(f"two {clause} columns are named '{col.label}'; one would hide the "
                           "other: give one a different alias (AS name)", node)
        cols.append(col)
    return tuple(cols)


def _returning(node: exp.Expr | None) -> tuple[st.Column, ...] | None:
    if node is None:
        return None
    _only(node, {"expressions"}, "RETURNING")
    return _columns(node.expressions, "RETURNING")


def _select(tree: exp.Select, kw: dict) -> st.Select:
    """A SELECT keeps its whole tree for the local SQL engine (``localsql``); what the planner
    needs is pulled out: the resource, and the top-level ``name = value`` and ``name IN (...)``
    conditions that may be the read method's parameters."""
    src = tree.args.get("from_")
    if src is None:
        raise NotSupportedError(f"SELECT without FROM is not supported yet (line {kw['line']}): "
                                "SELECT ... FROM provider.service.resource",
                                statement=kw["text"])
    _only(tree, {"expressions", "from_", "where", "joins", "group", "having", "order", "limit",
                 "offset", "distinct"}, "SELECT")
    for join in tree.args.get("joins") or ():
        if not (isinstance(join.this, exp.Unnest) or (isinstance(join.this, exp.Table)
                                                       and isinstance(join.this.this,
                                                                      exp.Anonymous))):
            raise NotSupportedError(f"JOIN between resources is not supported yet (line "
                                    f"{kw['line']}); UNNEST(data) and table functions such as "
                                    "json_each(data) are", statement=kw["text"])
    table = src.this.copy()
    table.set("alias", None)  # FROM a.b.c AS t: the alias is the local engine's business
    equal: dict[str, st.Value] = {}
    among: dict[str, tuple[st.Value, ...]] = {}
    where = tree.args.get("where")
    for cond in conjuncts(where.this) if where is not None else ():
        name, values = _parameter_condition(cond)
        if name is None or name in equal or name in among:
            continue  # anything else is evaluated locally
        if isinstance(cond, exp.In):
            among[name] = values
        else:
            equal[name] = values[0]
    # string literals and placeholders, in tree order: binding fills them (templates, ?, :name)
    # and the local engine puts the filled values back into the tree
    slots = tuple(_slot(n) for n in _slot_nodes(tree))
    simple = [_path(_unalias(n)) for n in tree.expressions]
    columns = (_columns(tree.expressions, "SELECT")
               if all(p is not None for p in simple) else ())
    return st.Select(target=_table_name(table), columns=columns, where=tuple(equal.items()),
                     where_in=tuple(among.items()), slots=slots, query=tree, **kw)


def conjuncts(node: exp.Expr) -> list[exp.Expr]:
    """The conditions joined by top-level ANDs, left to right (iterative: long chains)."""
    out, todo = [], [node]
    while todo:
        cond = todo.pop()
        if isinstance(cond, exp.And):
            todo += [cond.expression, cond.this]
        elif isinstance(cond, exp.Paren) and isinstance(cond.this, exp.And):
            todo.append(cond.this)
        else:
            out.append(cond)
    return out


def _parameter_condition(cond: exp.Expr) -> tuple[str | None, tuple]:
    """(name, values) for ``name = literal`` or ``name IN (literal, ...)``, else (None, ())."""
    try:
        if isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Column) and not cond.this.table:
            return cond.this.name, (_value(cond.expression),)
        if (isinstance(cond, exp.In) and isinstance(cond.this, exp.Column)
                and not cond.this.table and cond.expressions and not cond.args.get("query")):
            return cond.this.name, tuple(_value(v) for v in cond.expressions)
    except _Located:
        pass  # an expression, not a literal: local
    return None, ()


def _slot_nodes(tree: exp.Expr) -> list[exp.Expr]:
    return [n for n in tree.walk(bfs=False)
            if isinstance(n, exp.Placeholder) or (isinstance(n, exp.Literal) and n.is_string)]


def _slot(node: exp.Expr) -> st.Value:
    return st.Placeholder(node.this if node.this else node.meta["index"]) \
        if isinstance(node, exp.Placeholder) else node.this


_COMPARE = {exp.EQ: "=", exp.NEQ: "!=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


def _condition(node: exp.Expr) -> st.Condition:
    """A SHOW ... WHERE condition as plain tuples (see statements.Condition)."""
    if isinstance(node, exp.Paren):
        return _condition(node.this)
    if isinstance(node, (exp.And, exp.Or)):
        return ("and" if isinstance(node, exp.And) else "or", _condition(node.this),
                _condition(node.expression))
    if isinstance(node, exp.Not):
        return ("not", _condition(node.this))
    if type(node) in _COMPARE:
        return ("cmp", _COMPARE[type(node)], _column_name(node.this), _value(node.expression))
    if isinstance(node, (exp.Like, exp.ILike)):
        pattern = node.expression
        if isinstance(pattern, exp.Column) and pattern.this.quoted:  # LIKE "x"
            return ("like", _column_name(node.this), pattern.name)
        return ("like", _column_name(node.this), _value(pattern))
    if isinstance(node, exp.In):
        return ("in", _column_name(node.this),
                tuple(_value(v) for v in node.expressions))
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return ("null", _column_name(node.this))
    raise _Located("SHOW ... WHERE takes comparisons (=, !=, <, >), LIKE, IN and IS NULL on the "
                   "listing's columns, joined by AND, OR and NOT; got '{near}'", node)


def _where(node: exp.Expr | None) -> tuple[tuple[str, st.Value], ...]:
    if node is None:
        return ()
    out: dict[str, st.Value] = {}

    todo = [node.this]
    while todo:  # iterative: long AND chains nest as deep as they are long
        cond = todo.pop()
        if isinstance(cond, exp.And):
            todo += [cond.expression, cond.this]  # popped left first
        elif isinstance(cond, exp.Paren):
            todo.append(cond.this)
        elif isinstance(cond, exp.EQ):
            name = _column_name(cond.this)
            if name in out:
                raise _Located(f"WHERE gives {name} twice", cond)
            out[name] = _value(cond.expression)
        else:
            raise _Located("WHERE takes parameter = value conditions joined by AND; got '{near}'",
                           cond)
    return tuple(out.items())
