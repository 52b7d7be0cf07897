"""SQL text -> typed statements, through the StackQL sqlglot dialect.

A script is tokenized once and split on ``;`` so every statement keeps its own source text and
line; every statement of a script is parsed before any is run, so a syntax error late in a script
sends nothing.
"""

from __future__ import annotations

from functools import lru_cache

from sqlglot import errors as sqlglot_errors
from sqlglot import exp
from sqlglot.tokens import TokenType

from ..errors import Error, ParseError, ProgrammingError
from . import shapes
from . import statements as st
from .dialect import DottedName, Exec, Show, StackQL

MAX_STATEMENT_CHARS = 1_000_000

MAX_SHAPES = 512

_DIALECT = StackQL()
_SHAPES: dict[str, tuple[st.Statement, ...]] = {}


def parse_script(sql: str) -> list[st.Statement]:
    """Every statement of a script, in order. Raises ParseError/ProgrammingError."""
    masked = shapes.mask(sql) if len(sql) <= MAX_STATEMENT_CHARS else None
    if masked is None:
        return list(_parse_cached(sql))
    shape, literals = masked
    template = _SHAPES.get(shape)
    if template is not None:
        return list(shapes.fill(template, literals))
    # First time this shape is seen: the real text's parse is what counts (its errors and
    # values); the shape is kept only if filling it gives exactly the same statements.
    statements = _parse_cached(sql)
    try:
        template = _parse_cached(shape)
    except Error:
        template = None
    filled = shapes.fill(template, literals) if template is not None else None
    if filled == statements and all(a.text == b.text and a.line == b.line
                                    for a, b in zip(filled, statements)):
        if len(_SHAPES) >= MAX_SHAPES:
            _SHAPES.pop(next(iter(_SHAPES)))
        _SHAPES[shape] = template
    return list(statements)


def parse_one(sql: str) -> st.Statement:
    stmts = parse_script(sql)
    if len(stmts) != 1:
        raise ProgrammingError(f"expected one statement, got {len(stmts)}", statement=sql)
    return stmts[0]


@lru_cache(maxsize=256)
def _parse_cached(sql: str) -> tuple[st.Statement, ...]:
    # statements are immutable, so repeating a script re-uses its parse
    if len(sql) > MAX_STATEMENT_CHARS:
        raise ParseError(f"script is {len(sql):,} characters long; the limit is "
                         f"{MAX_STATEMENT_CHARS:,}")
    try:
        tokens = _DIALECT.tokenize(sql)
    except sqlglot_errors.TokenError as e:
        raise _token_error(str(e), sql) from None
    out = []
    qmarks = 0  # ``?`` placeholders are numbered across the whole script
    for chunk in _split(tokens):
        text = sql[chunk[0].start:chunk[-1].end + 1]
        _check_first_word(chunk[0], text)
        try:
            trees = _DIALECT.parser().parse(chunk, sql)
        except sqlglot_errors.ParseError as e:
            raise _parse_error(e, text) from None
        except (ValueError, TypeError, IndexError, KeyError, AttributeError,
                RecursionError) as e:
            # sqlglot can trip over very odd input; that is still a syntax error to the user
            raise ParseError(f"syntax error at line {chunk[0].line}: cannot parse this statement "
                             f"({type(e).__name__})", line=chunk[0].line, statement=text) from None
        for tree in trees:
            if tree is not None:
                for ph in tree.find_all(exp.Placeholder, bfs=False):
                    if not ph.this:
                        ph.meta["index"] = qmarks
                        qmarks += 1
                out.append(_translate(tree, text, chunk[0].line))
    return tuple(out)


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
                   "DELETE")


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
                     f"'{token.text}'{hint}; httpql runs SHOW, DESCRIBE, SELECT, INSERT, UPDATE, "
                     "DELETE and EXEC", line=token.line, col=col, statement=text)


def _token_error(message: str, sql: str) -> ParseError:
    # sqlglot's TokenError gives only the text read so far; its end is where reading stopped
    near = message.split("Error tokenizing '", 1)[-1].rstrip("'")
    line = near.count("\n") + 1
    tail = near.rsplit("\n", 1)[-1][-40:]
    return ParseError(f"syntax error at line {line}: unterminated string, quoted name or comment "
                      f"near '{tail}'", line=line, statement=sql)


def _parse_error(e: sqlglot_errors.ParseError, text: str) -> ParseError:
    info = e.errors[0] if e.errors else {}
    line, col = info.get("line"), info.get("col")
    near = (info.get("highlight") or "").strip()
    desc = info.get("description") or str(e).split("\n")[0]
    if "<Token" in desc:  # sqlglot's messages can embed token reprs; the position says enough
        desc = desc.split(" but got <Token")[0].split(" <Token")[0]
    if near == "SENTINEL":
        near = ""
    if col and near and "\n" not in near:
        col = max(1, col - len(near) + 1)  # report where the offending text starts
    where = f" at line {line}, column {col}" if line else ""
    near_txt = f" near '{near[:60]}'" if near else ""
    return ParseError(f"syntax error{where}{near_txt}: {desc}", line=line, col=col, statement=text)


# --- sqlglot tree -> statements ---------------------------------------------------------------

def _translate(tree: exp.Expr, text: str, line: int) -> st.Statement:
    kw = {"text": text, "line": line}
    if isinstance(tree, Show):
        like = tree.args.get("like")
        return st.Show(kind=tree.args["kind"], target=_name(tree.this) if tree.this else (),
                       extended=bool(tree.args.get("extended")),
                       like=like.this if like is not None else None, **kw)
    if isinstance(tree, exp.Describe):
        target = tree.this
        if not isinstance(target, exp.Table):
            raise _unsupported(text, "DESCRIBE takes a resource name: DESCRIBE provider.service.resource")
        return st.Describe(target=_table_name(target), extended=(tree.args.get("style") or "").upper()
                           == "EXTENDED", **kw)
    if isinstance(tree, Exec):
        return _exec(tree, kw)
    if isinstance(tree, exp.Insert):
        return _insert(tree, kw)
    if isinstance(tree, exp.Select):
        return _select(tree, kw)
    if isinstance(tree, exp.Delete):
        return st.Delete(target=_table_name(tree.this), where=_where(tree.args.get("where"), text),
                         returning=_returning(tree.args.get("returning")), **kw)
    if isinstance(tree, exp.Update):
        sets = []
        for eq in tree.expressions:
            sets.append((_column_name(eq.this, text), _value(eq.expression, text)))
        return st.Update(target=_table_name(tree.this), assignments=tuple(sets),
                         where=_where(tree.args.get("where"), text),
                         returning=_returning(tree.args.get("returning")), **kw)
    if isinstance(tree, exp.Command):
        word = str(tree.this).upper()
        raise ParseError(f"unsupported statement '{word}': httpql understands SHOW, DESCRIBE, "
                         "SELECT, INSERT, UPDATE, DELETE and EXEC", line=line, statement=text)
    raise _unsupported(text, f"{type(tree).__name__.upper()} statements are not supported: "
                             "httpql understands SHOW, DESCRIBE, SELECT, INSERT, UPDATE, DELETE and EXEC")


def _unsupported(text: str, message: str) -> ProgrammingError:
    return ProgrammingError(message, statement=text)


def _name(node: DottedName) -> tuple[str, ...]:
    return tuple(i.this for i in node.expressions)


def _table_name(node: exp.Expr) -> tuple[str, ...]:
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise ProgrammingError(f"expected a resource name like provider.service.resource, got "
                               f"'{node.sql()}'")
    parts = [p.name for p in node.parts]
    return tuple(parts)


def _column_name(node: exp.Expr, text: str) -> str:
    if isinstance(node, exp.Column) and not node.table:
        return node.name
    raise ProgrammingError(f"expected a column name, got '{node.sql()}'", statement=text)


def _value(node: exp.Expr, text: str) -> st.Value:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        raw = node.this
        try:
            return int(raw)
        except ValueError:
            return float(raw)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -_value(node.this, text)
    if isinstance(node, exp.Paren):
        return _value(node.this, text)
    if isinstance(node, exp.Placeholder):
        return st.Placeholder(node.this if node.this else node.meta["index"])
    raise ProgrammingError(f"only literal values are accepted here (strings, numbers, TRUE, FALSE, "
                           f"NULL); got '{node.sql()}'", statement=text)


def _exec(tree: Exec, kw: dict) -> st.Exec:
    params: dict[str, st.Value] = {}
    body, has_body = None, False
    for p in tree.expressions:
        name = p.this.this
        value = _value(p.expression, kw["text"])
        if p.args.get("json"):
            if name.lower() != "json":
                raise ProgrammingError(f"unknown parameter @@{name}: the only @@ parameter is "
                                       "@@json (a whole request body)", statement=kw["text"])
            if has_body:
                raise ProgrammingError("@@json is given twice", statement=kw["text"])
            body, has_body = value, True
            continue
        if name in params:
            raise ProgrammingError(f"parameter @{name} is given twice", statement=kw["text"])
        params[name] = value
    return st.Exec(target=_name(tree.this), params=tuple(params.items()), body_json=body,
                   has_body_json=has_body, **kw)


def _insert(tree: exp.Insert, kw: dict) -> st.Insert:
    text = kw["text"]
    schema = tree.this
    if not isinstance(schema, exp.Schema) or not schema.expressions:
        raise ProgrammingError("INSERT needs a column list: INSERT INTO provider.service.resource "
                               "(col, ...) SELECT ... or VALUES (...)", statement=text)
    columns = tuple(c.name for c in schema.expressions)
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ProgrammingError(f"column {', '.join(dupes)} is listed twice", statement=text)
    rows = tuple(_rows(tree.expression, text))
    for i, row in enumerate(rows, 1):
        if len(row) != len(columns):
            raise ProgrammingError(f"row {i} has {len(row)} value(s) but {len(columns)} column(s) "
                                   f"are listed ({', '.join(columns)})", statement=text)
    return st.Insert(target=_table_name(schema), columns=columns, rows=rows,
                     returning=_returning(tree.args.get("returning")), **kw)


def _rows(source: exp.Expr | None, text: str):
    if isinstance(source, exp.Values):
        for tup in source.expressions:
            yield tuple(_value(v, text) for v in tup.expressions)
    elif isinstance(source, exp.Union):
        if source.args.get("distinct"):
            raise ProgrammingError("use UNION ALL between rows of an INSERT (UNION would drop "
                                   "duplicate rows)", statement=text)
        yield from _rows(source.this, text)
        yield from _rows(source.expression, text)
    elif isinstance(source, exp.Select):
        if source.args.get("from_") or source.args.get("where"):
            raise ProgrammingError("INSERT ... SELECT takes literal values only, without FROM",
                                   statement=text)
        yield tuple(_value(_unalias(v), text) for v in source.expressions)
    elif isinstance(source, exp.Subquery):
        yield from _rows(source.this, text)
    else:
        raise ProgrammingError("INSERT needs SELECT <values> or VALUES (...) after the column list",
                               statement=text)


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


def _columns(nodes, text: str, clause: str) -> tuple[st.Column, ...]:
    cols = []
    for node in nodes:
        alias = node.alias if isinstance(node, exp.Alias) else None
        path = _path(_unalias(node))
        if path is None or (alias and not path):
            raise ProgrammingError(f"{clause} takes field names, dotted paths (data.stream_key) and "
                                   f"*; got '{node.sql()}'", statement=text)
        cols.append(st.Column(path=path, alias=alias or None))
    return tuple(cols)


def _returning(node: exp.Expr | None) -> tuple[st.Column, ...] | None:
    if node is None:
        return None
    return _columns(node.expressions, node.sql(), "RETURNING")


def _select(tree: exp.Select, kw: dict) -> st.Select:
    text = kw["text"]
    src = tree.args.get("from_")
    if src is None:
        raise ProgrammingError("SELECT needs FROM provider.service.resource", statement=text)
    for clause in ("joins", "group", "order", "limit", "having", "offset"):
        if tree.args.get(clause):
            raise ProgrammingError(f"{clause.upper()} is not supported in SELECT yet",
                                   statement=text)
    return st.Select(target=_table_name(src.this), columns=_columns(tree.expressions, text, "SELECT"),
                     where=_where(tree.args.get("where"), text), **kw)


def _where(node: exp.Expr | None, text: str) -> tuple[tuple[str, st.Value], ...]:
    if node is None:
        return ()
    out: dict[str, st.Value] = {}

    def walk(cond: exp.Expr) -> None:
        if isinstance(cond, exp.And):
            walk(cond.this)
            walk(cond.expression)
        elif isinstance(cond, exp.EQ):
            name = _column_name(cond.this, text)
            if name in out:
                raise ProgrammingError(f"WHERE gives {name} twice", statement=text)
            out[name] = _value(cond.expression, text)
        elif isinstance(cond, exp.Paren):
            walk(cond.this)
        else:
            raise ProgrammingError("WHERE takes parameter = value conditions joined by AND; got "
                                   f"'{cond.sql()}'", statement=text)

    walk(node.this)
    return tuple(out.items())
