"""SHOW and DESCRIBE, answered from the manifest registry without any request."""

from __future__ import annotations

import re

from .errors import ProgrammingError
from .manifest.model import VERBS, Registry
from .sql import statements as st


def like_matcher(pattern: str):
    """SQL LIKE ('%' any run, '_' one character), case-insensitive as in stackql."""
    rx = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(rx + r"\Z", re.IGNORECASE | re.DOTALL).match


def show(registry: Registry, stmt: st.Show) -> tuple[list[str], list[dict]]:
    try:
        if stmt.kind == "INSERT":
            return ["insert_statement"], [{"insert_statement": insert_template(registry, stmt)}]
        columns, rows, name_col = _show(registry, stmt)
        if stmt.where is not None:
            rows = [r for r in rows if _holds(stmt.where, r, columns)]
    except ProgrammingError as e:
        raise ProgrammingError(e.message, statement=stmt.text) from None
    if stmt.like is not None:
        match = like_matcher(stmt.like)
        rows = [r for r in rows if match(str(r[name_col]))]
    return columns, rows


def _holds(cond: st.Condition, row: dict, columns: list[str]) -> bool:
    """Whether a SHOW ... WHERE condition holds for one listing row. Column names are matched
    without regard to case, as SQL does; = compares exactly, LIKE ignores case (as stackql's
    SQLite does)."""
    op = cond[0]
    if op in ("and", "or"):
        left = _holds(cond[1], row, columns)
        if op == "and":
            return left and _holds(cond[2], row, columns)
        return left or _holds(cond[2], row, columns)
    if op == "not":
        return not _holds(cond[1], row, columns)
    value = row.get(_column(cond[1] if op != "cmp" else cond[2], columns))
    if op == "null":
        return value is None
    if op == "like":
        return value is not None and like_matcher(str(cond[2]))(str(value)) is not None
    if op == "in":
        return value in cond[2]
    want = cond[3]
    if value is None or want is None:
        return False
    if isinstance(want, (int, float)) != isinstance(value, (int, float)):
        value, want = str(value), str(want)
    return {"=": value == want, "!=": value != want, "<": value < want, "<=": value <= want,
            ">": value > want, ">=": value >= want}[cond[1]]


def _column(name: str, columns: list[str]) -> str:
    for c in columns:
        if c.lower() == name.lower():
            return c
    raise ProgrammingError(f"SHOW ... WHERE names unknown column '{name}' (columns: "
                           f"{', '.join(columns)})")


def insert_template(registry: Registry, stmt: st.Show) -> str:
    """stackql's SHOW INSERT INTO: a ready-to-edit INSERT for the resource's first INSERT method
    (or the named one), every value a {{ template }}, each line saying required or optional and
    the type. /*+ REQUIRED */ keeps only the required columns."""
    target = stmt.target
    res = registry.resource(target[:3])
    if len(target) == 4:
        method = res.method(target[3])
        if method.verb != "insert":
            raise ProgrammingError(f"{method.name} is an {method.verb.upper()} method; SHOW "
                                   "INSERT INTO takes an INSERT method of the resource")
    else:
        inserts = res.methods_for("insert")
        if not inserts:
            raise ProgrammingError(f"{res.id} has no INSERT method; SHOW METHODS IN {res.id} "
                                   "lists what it has")
        method = inserts[0]
    names = [n for n in method.params if n in method.required or "REQUIRED" not in stmt.hints]
    lines = [f"INSERT INTO {res.id} ("] + [f"{n}{',' if i < len(names) - 1 else ''}"
                                           for i, n in enumerate(names)]
    lines += [")", "SELECT"]
    for i, name in enumerate(names):
        param = method.params[name]
        kind = param.type + (f" ({param.format})" if getattr(param, "format", None) else "")
        need = "required" if name in method.required else "optional"
        comma = "," if i < len(names) - 1 else ""
        lines.append(f"'{{{{ {name} }}}}'{comma} -- {need}, {kind}")
    return "\n".join(lines) + "\n;"


def _show(registry: Registry, stmt: st.Show):
    kind, target = stmt.kind, stmt.target
    if kind == "PROVIDERS":
        rows = [{"name": p.id, "version": p.version} for p in registry.providers.values()]
        return ["name", "version"], rows, "name"
    if kind == "SERVICES":
        if len(target) != 1:
            raise ProgrammingError(f"SHOW SERVICES IN takes a provider name, got '{'.'.join(target)}'")
        prov = registry.provider(target[0])
        rows = [{"id": f"{s.name}:{prov.version}", "name": s.name, "title": s.title}
                for s in prov.services.values()]
        cols = ["id", "name", "title"]
        if stmt.extended:
            cols.append("description")
            for r, s in zip(rows, prov.services.values()):
                r["description"] = s.description
        return cols, rows, "name"
    if kind == "RESOURCES":
        svc = registry.service(target)
        # from the index: listing a service loads none of its resources
        rows = [{"name": name, "id": f"{svc.provider}.{svc.name}.{name}"} for name in svc.resources]
        cols = ["name", "id"]
        if stmt.extended:
            cols.append("description")
            for row in rows:
                row["description"] = svc.resources.description(row["name"])
        return cols, rows, "name"
    # from the index: the resource's manifest need not be loaded to list its methods.
    # By verb, then in the manifest's order: the order in which a verb's methods are tried.
    methods = sorted(registry.summary(target), key=lambda m: VERBS.index(m["verb"]))
    cols = ["MethodName", "RequiredParams", "OptionalParams", "SQLVerb"]
    rows = []
    for m in methods:
        row = {"MethodName": m["name"], "RequiredParams": ", ".join(m["required"]),
               "OptionalParams": ", ".join(m["optional"]), "SQLVerb": m["verb"].upper()}
        if stmt.extended:
            row["description"] = m["description"]
        rows.append(row)
    if stmt.extended:
        cols.append("description")
    return cols, rows, "MethodName"


def describe(registry: Registry, stmt: st.Describe) -> tuple[list[str], list[dict]]:
    try:
        res = registry.resource(stmt.target)
    except ProgrammingError as e:
        raise ProgrammingError(e.message, statement=stmt.text) from None
    rows = []

    def add(name, type_, kind, description):
        row = {"name": name, "type": type_, "kind": kind}
        if stmt.extended:
            row["description"] = description
        rows.append(row)

    for f in res.fields.values():
        add(f.name, f.type or "any", "field", f.description)
        for sub in (f.properties or {}).values():
            add(f"{f.name}.{sub.name}", sub.type or "any", "field", sub.description)
    places: dict[str, list[str]] = {}  # a name can be a path parameter here, a body field there
    for m in res.methods:
        for p in m.params.values():
            if p.location not in places.setdefault(p.name, []):
                places[p.name].append(p.location)
    for p in res.params.values():
        kind = "/".join(places[p.name]) + " parameter"
        add(p.name, p.type or "any", kind, p.description)
        for sub in (p.properties or {}).values():
            add(f"{p.name}.{sub.name}", sub.type or "any", kind, sub.description)
    cols = ["name", "type", "kind"] + (["description"] if stmt.extended else [])
    return cols, rows
