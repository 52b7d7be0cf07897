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
        columns, rows, name_col = _show(registry, stmt)
    except ProgrammingError as e:
        raise ProgrammingError(e.message, statement=stmt.text) from None
    if stmt.like is not None:
        match = like_matcher(stmt.like)
        rows = [r for r in rows if match(str(r[name_col]))]
    return columns, rows


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
