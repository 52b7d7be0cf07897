"""RETURNING / SELECT projection over a decoded response body, with jsonpath-ng.

Column paths are built as jsonpath-ng trees directly (no string parsing) and cached, so a script of
many statements compiles each distinct path once.
"""

from __future__ import annotations

from functools import lru_cache

from .sql.statements import Column


@lru_cache(maxsize=256)
def compile_path(text: str):
    """A JSONPath from its text (manifest ``object_key``); raises jsonpath-ng's errors."""
    from jsonpath_ng import parse

    return parse(text)


@lru_cache(maxsize=1024)
def column_path(path: tuple[str, ...]):
    from jsonpath_ng import Child, Fields, Root

    expr = Root()
    for part in path:
        expr = Child(expr, Fields(part))
    return expr


def project(body: object, columns: tuple[Column, ...] | None) -> dict:
    """One row from one response object; absent fields are None."""
    if not isinstance(body, dict):
        # a best-effort row rather than a failure: the caller still sees what came back
        body = {"value": body}
    if not columns:
        return dict(body)
    row: dict = {}
    for col in columns:
        if col.star:
            row.update(body)
            continue
        matches = column_path(col.path).find(body)
        row[col.label] = matches[0].value if matches else None
    return row


def extract(body: object, object_key: str | None) -> list:
    """The list of row objects of a read response (``object_key`` selects them)."""
    if object_key:
        found = [m.value for m in compile_path(object_key).find(body)]
        if len(found) == 1 and isinstance(found[0], list):
            return found[0]
        return found
    return body if isinstance(body, list) else [body]


def project_returning(body: object, columns: tuple[Column, ...] | None,
                      values: dict | None) -> dict:
    """A RETURNING row; a column the response lacks that names one of the statement's own
    parameters (``RETURNING meeting_id``) takes the value sent, so each row says which input
    made it."""
    row = project(body, columns)
    if columns and values:
        for col in columns:
            if not col.star and col.path[0] in values and (
                    not isinstance(body, dict) or col.path[0] not in body):
                matches = column_path(col.path[1:]).find(values[col.path[0]]) \
                    if len(col.path) > 1 else None
                row[col.label] = values[col.path[0]] if len(col.path) == 1 else (
                    matches[0].value if matches else None)
    return row
