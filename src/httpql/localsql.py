"""The local half of a SELECT: SQL over rows already fetched, in an in-memory SQLite database.

stackql answers SELECT the same way (rows loaded into SQLite), and the standard library's sqlite3
with its JSON functions costs no dependency. The statement is rewritten as a sqlglot tree, never
as text: the resource in FROM becomes the table of fetched rows, and a dotted path such as
``data.paging.total_count`` becomes ``json_extract("data", '$.paging.total_count')``. Values the
user wrote stay literals of the tree, so no value can change the query.

Top-level fields are the table's columns. Objects and arrays are stored as JSON text (so
``json_each(data)`` gives one row per element), booleans as 1/0; a column read back whole gets
its Python value again.
"""

from __future__ import annotations

import json
import sqlite3

from sqlglot import exp

from .errors import NotSupportedError, ProgrammingError

TABLE = "rows"


def run(query: exp.Select, rows: list[dict], slots: tuple | None = None,
        sent: frozenset[str] = frozenset(), declared: tuple[str, ...] = ()
        ) -> tuple[list[str], list[dict]]:
    """(columns, rows) of ``query`` over ``rows``; ``query``'s FROM names the resource.
    ``slots``: the bound values of the query's string literals and placeholders, in tree order.
    ``sent``: parameters whose top-level conditions were sent in the request (the API applied
    them; the rows need not even hold such a field), so they are not evaluated again here.
    ``declared``: the fields the response schema describes, columns even when no row has them
    (a query over zero rows still knows data.status)."""
    fields = _fields(rows)
    fields += [f for f in declared if f not in fields]
    query = query.copy()
    if slots is not None:
        _fill(query, slots)
    if sent:
        _drop_conditions(query, sent)
    query = rewrite(query, fields)
    sql = query.sql(dialect="sqlite")
    db = sqlite3.connect(":memory:")
    try:
        cols = ", ".join(_quote(f) for f in fields) or '"_"'
        db.execute(f"CREATE TABLE {TABLE} ({cols})")  # names quoted, never user values
        if fields:
            marks = ", ".join("?" for _ in fields)
            db.executemany(f"INSERT INTO {TABLE} VALUES ({marks})",
                           [[_store(r.get(f)) for f in fields] for r in rows])
        elif rows:
            db.executemany(f"INSERT INTO {TABLE} VALUES (?)", [[None] for _ in rows])
        try:
            cursor = db.execute(sql)
        except sqlite3.Error as e:
            raise ProgrammingError(f"the local SQL engine refused the query: {e}") from None
        names = _unique([d[0] for d in cursor.description])
        kinds = {f: _kind(rows, f) for f in fields}
        out = [{n: _load(v, kinds.get(n)) for n, v in zip(names, values)} for values in cursor]
        return names, out
    finally:
        db.close()


def rewrite(query: exp.Select, fields: list[str]) -> exp.Select:
    """``query`` over the table of rows: FROM the resource becomes FROM rows, dotted paths into
    fields become json_extract, and a path selected without an alias keeps its dotted name."""
    source = query.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table):
        raise NotSupportedError("SELECT without FROM a resource is not supported yet")
    if query.args.get("joins") and any(isinstance(j.this, exp.Table)
                                       and not isinstance(j.this.this, exp.Anonymous)
                                       for j in query.args["joins"]):
        raise NotSupportedError("JOIN between resources is not supported yet; a table function "
                                "such as json_each(data) is")
    alias = source.this.alias_or_name
    source.this.replace(exp.to_table(TABLE))
    for node in list(query.find_all(exp.JSONExtract, exp.JSONExtractScalar)):
        # sqlglot writes json_extract as SQLite's -> (JSON text: '"a"' for the string a);
        # json_extract itself gives SQL values, and needs no SQLite 3.38
        node.replace(exp.Anonymous(this="json_extract", expressions=[
            node.this, exp.Literal.string(node.expression.sql(dialect="sqlite")[1:-1])]))
    top = set(fields)
    for i, node in enumerate(query.expressions):
        if isinstance(node, exp.Column) and len(node.parts) > 1 and node.parts[0].name in top:
            query.expressions[i] = exp.alias_(node.copy(), ".".join(p.name for p in node.parts),
                                              quoted=True)
    for column in list(query.find_all(exp.Column)):
        parts = [p.name for p in column.parts]
        if len(parts) > 1 and parts[0] == alias and parts[1] in top:
            parts = parts[1:]  # SELECT t.data.status FROM ... t
        if parts and parts[0] in top:
            column.replace(_path(parts))
    return query


def _fill(query: exp.Select, slots: tuple) -> None:
    """Each string literal and placeholder of ``query``, in tree order, replaced by its bound
    value as a literal (the grammar recorded them in the same order)."""
    nodes = [n for n in query.walk(bfs=False)
             if isinstance(n, exp.Placeholder) or (isinstance(n, exp.Literal) and n.is_string)]
    for node, value in zip(nodes, slots):
        node.replace(literal(value))


def literal(value) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, (dict, list)):
        return exp.Literal.string(json.dumps(value))
    return exp.Literal.string(str(value))


def _drop_conditions(query: exp.Select, names: frozenset[str]) -> None:
    from .sql.grammar import conjuncts

    where = query.args.get("where")
    if where is None:
        return
    keep = [c for c in conjuncts(where.this)
            if not (isinstance(c, (exp.EQ, exp.In)) and isinstance(c.this, exp.Column)
                    and not c.this.table and c.this.name in names)]
    if keep:
        where.set("this", exp.and_(*keep))
    else:
        query.set("where", None)


def _path(parts: list[str]) -> exp.Expr:
    head = exp.column(parts[0], table=TABLE, quoted=True)  # json_each has an id column too
    if len(parts) == 1:
        return head
    path = "$" + "".join(f".{_json_key(p)}" for p in parts[1:])
    return exp.Anonymous(this="json_extract", expressions=[head, exp.Literal.string(path)])


def _json_key(name: str) -> str:
    return name if name.isidentifier() else json.dumps(name)


def _fields(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _store(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return str(value)


def _kind(rows: list[dict], field: str) -> str | None:
    """'json' or 'bool' when every value of the field is one (read back as such), else None."""
    kinds = {("json" if isinstance(v, (dict, list)) else "bool" if isinstance(v, bool) else "x")
             for r in rows if (v := r.get(field)) is not None}
    return kinds.pop() if len(kinds) == 1 and kinds != {"x"} else None


def _load(value, kind: str | None):
    if kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if kind == "bool" and isinstance(value, int):
        return bool(value)
    return value


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        new, n = name, 1
        while new in out:
            n += 1
            new = f"{name}_{n}"
        out.append(new)
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
