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
from dataclasses import dataclass

from sqlglot import exp

from .errors import NotSupportedError, ProgrammingError

TABLE = "rows"
_PLAIN = (str, int, float, type(None))
ROW_KEY = "_httpql_row"  # joins an UNNEST table's elements to the row they came from
# compact and unchecked: these values came from json.loads, so they have no cycles to look for
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


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
    plan = _translated(query, slots, sent, fields)
    sql, star, used, used_of_alias = plan.sql, plan.star, plan.used, plan.used_of_alias
    unnested = [(alias, table, _elements(rows, parts)) for alias, table, parts in plan.unnest]
    kinds = {f: _kind(rows, f) for f in fields if star or f in used}
    db = sqlite3.connect(":memory:")
    try:
        _table(db, TABLE, fields, [[_store(r.get(f)) if star or f in used else None
                                    for f in fields] for r in rows])
        for alias, table, items in unnested:
            # only the element fields the query names become columns (all of them for a *)
            named = [f for a, f in used_of_alias if a == alias and f != ROW_KEY]
            wanted = list(dict.fromkeys([*(_fields([e for _, e in items]) if star else ()),
                                         *named]))
            kinds.update({f: _kind([e for _, e in items], f) for f in wanted})
            plain = not any(kinds.get(f) for f in wanted)  # nothing to encode: no _store call
            _table(db, table, [ROW_KEY, *wanted],
                   [(n, *map(e.get, wanted)) if plain else (n, *[_store(e.get(f)) for f in wanted])
                    for n, e in items])
        try:
            cursor = db.execute(sql)
        except sqlite3.Error as e:
            raise ProgrammingError(f"the local SQL engine refused the query: {e}") from None
        names = _unique([d[0] for d in cursor.description])
        out = [{n: _load(v, kinds.get(n)) for n, v in zip(names, values)} for values in cursor]
        if unnested and ROW_KEY in names:  # the join key, shown only by a *: not the user's
            names.remove(ROW_KEY)
            for row in out:
                del row[ROW_KEY]
        return names, out
    finally:
        db.close()


@dataclass(frozen=True)
class _Translation:
    sql: str
    star: bool  # the query reads every column
    used: frozenset  # fields of the rows table it names
    used_of_alias: frozenset  # (alias, field) pairs of UNNEST tables it may name
    unnest: tuple  # (alias, table, path) per UNNEST


def _translated(query: exp.Select, slots, sent: frozenset, fields: list[str]) -> _Translation:
    """The SQLite text of ``query`` with these values, over rows with these fields: the same
    statement run again (a script, a loop, the shell) reuses it, kept on the parsed tree."""
    key = (slots, sent, tuple(fields))
    try:
        cache = query.meta.setdefault("httpql_translations", {})
        found = cache.get(key)
    except TypeError:  # a value that cannot be a key (a dict bound to a placeholder)
        cache, found = None, None
    if found is not None:
        return found
    query = query.copy()
    if slots is not None:
        _fill(query, slots)
    if sent:
        _drop_conditions(query, sent)
    unnest = _unnest(query, set(fields))
    query = rewrite(query, fields, {alias for alias, _, _ in unnest})
    # a * in the select list reads every column (COUNT(*) reads none)
    star = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this,
                                                                                   exp.Star))
               for e in query.expressions)
    columns = [c for c in query.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
    # an unqualified name may be an element's field: keep every alias's field of that name
    used_of_alias = {(c.table, c.name) for c in columns if c.table}
    used_of_alias |= {(alias, c.name) for c in columns if not c.table for alias, _, _ in unnest}
    found = _Translation(sql=query.sql(dialect="sqlite", copy=False), star=star,
                         used=frozenset(c.name for c in columns if c.table == TABLE),
                         used_of_alias=frozenset(used_of_alias), unnest=tuple(unnest))
    if cache is not None:
        if len(cache) > 64:
            cache.clear()
        cache[key] = found
    return found


def _table(db, name: str, columns: list[str], values: list[list]) -> None:
    cols = ", ".join(_quote(c) for c in columns) or '"_"'
    db.execute(f"CREATE TABLE {name} ({cols})")  # names quoted, never user values
    if values:
        marks = ", ".join("?" for _ in (columns or ["_"]))
        insert = f"INSERT INTO {name} VALUES ({marks})"
        try:
            db.executemany(insert, values if columns else [[None] for _ in values])
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError):
            # a later value of another type than the first (a dict among strings): encode all
            db.execute(f"DELETE FROM {name}")
            db.executemany(insert, [[_store(v) for v in row] for row in values])


def _unnest(query: exp.Select, top: set[str]) -> list:
    """``FROM resource, UNNEST(data) AS l``: one row per element of each row's ``data`` list,
    its fields as columns of ``l``, unpacked in Python rather than by SQLite's JSON functions
    (the elements are Python values already). Each becomes a table joined on the row it came
    from; this returns (alias, table, path) for each."""
    out = []
    for i, join in enumerate(query.args.get("joins") or ()):
        if not isinstance(join.this, exp.Unnest):
            continue
        unnest = join.this
        source = unnest.expressions[0] if len(unnest.expressions) == 1 else None
        parts = [p.name for p in source.parts] if isinstance(source, exp.Column) else []
        if not parts or parts[0] not in top:
            raise ProgrammingError("UNNEST takes one field of the rows, like UNNEST(data), got "
                                   f"{unnest.sql()}")
        alias = unnest.alias or "unnest"
        table = f"unnest_{i}"
        join.replace(exp.Join(this=exp.to_table(table).as_(alias, quoted=True),
                              on=exp.EQ(this=exp.column(ROW_KEY, table=alias, quoted=True),
                                        expression=exp.column("rowid", table=TABLE))))
        out.append((alias, table, tuple(parts)))
    return out


def _elements(rows: list[dict], parts: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(row number, element) for each element of the list at ``parts`` in each row; a value
    that is not a list counts as one element, a non-object element as {"value": ...}."""
    items = []
    for n, row in enumerate(rows, 1):
        value = row.get(parts[0])
        for key in parts[1:]:
            value = value.get(key) if isinstance(value, dict) else None
        elements = value if isinstance(value, list) else [value] if value is not None else []
        items += [(n, e if isinstance(e, dict) else {"value": e}) for e in elements]
    return items


def rewrite(query: exp.Select, fields: list[str], aliases: set[str] = frozenset()) -> exp.Select:
    """``query`` over the table of rows: FROM the resource becomes FROM rows, dotted paths into
    fields become json_extract, and a path selected without an alias keeps its dotted name."""
    source = query.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table):
        raise NotSupportedError("SELECT without FROM a resource is not supported yet")
    if query.args.get("joins") and any(isinstance(j.this, exp.Table)
                                       and not isinstance(j.this.this, exp.Anonymous)
                                       and j.this.name not in {f"unnest_{i}" for i in range(99)}
                                       for j in query.args["joins"]):
        raise NotSupportedError("JOIN between resources is not supported yet; a table function "
                                "such as json_each(data) is")
    alias = source.this.alias_or_name
    source.this.replace(exp.to_table(TABLE))
    for node in list(query.find_all(exp.JSONExtract, exp.JSONExtractScalar)):
        # sqlglot writes json_extract as SQLite's -> (JSON text: '"a"' for the string a);
        # json_extract itself gives SQL values, and needs no SQLite 3.38
        node.replace(exp.Anonymous(this="json_extract", expressions=[
            node.this, exp.Literal.string(node.expression.sql(dialect="sqlite", copy=False)[1:-1])]))
    top = set(fields)
    for i, node in enumerate(query.expressions):
        if isinstance(node, exp.Column) and len(node.parts) > 1 and node.parts[0].name in top:
            query.expressions[i] = exp.alias_(node, ".".join(p.name for p in node.parts),
                                              quoted=True, copy=False)
        elif isinstance(node, exp.Column) and len(node.parts) > 2 and \
                node.parts[0].name in aliases:  # l.video_config.height: "video_config.height"
            query.expressions[i] = exp.alias_(node, ".".join(p.name for p in node.parts[1:]),
                                              quoted=True, copy=False)
    for column in list(query.find_all(exp.Column)):
        parts = [p.name for p in column.parts]
        if len(parts) > 1 and parts[0] == alias and parts[1] in top:
            parts = parts[1:]  # SELECT t.data.status FROM ... t
        if parts and parts[0] in top:
            column.replace(_path(parts))
        elif len(parts) > 2 and parts[0] in aliases:  # l.video_config.height
            column.replace(_path(parts[1:], table=parts[0]))
    return query


def _fill(query: exp.Select, slots: tuple) -> None:
    """Each string literal and placeholder of ``query``, in tree order, replaced by its bound
    value as a literal (the translation recorded them in the same order)."""
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
    from .sql.translate import conjuncts

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


def _path(parts: list[str], table: str = TABLE) -> exp.Expr:
    head = exp.column(parts[0], table=table, quoted=True)  # json_each has an id column too
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
    if type(value) in _PLAIN:
        return value
    if isinstance(value, (dict, list)):
        return _ENCODE(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return str(value)


def _kind(rows: list[dict], field: str) -> str | None:
    """'json' or 'bool' when the field's values are objects/arrays or booleans (read back as
    such), else None. The first value decides: an API's field holds one type (a loose one was
    normalised to its declared type before), and scanning every row would cost more than the
    query."""
    for r in rows:
        v = r.get(field)
        if v is not None:
            return "json" if isinstance(v, (dict, list)) else "bool" if isinstance(v, bool) \
                else None
    return None


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
