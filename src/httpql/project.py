"""RETURNING / SELECT projection over a decoded response body.

A column is a dotted path of object keys (``data.stream_key``), so it is walked as plain dicts.
jsonpath-ng is used only where a manifest declares a real JSONPath (``rows_at: $.data``), and is
imported only then: a RETURNING statement does not pay for its ~25 ms import.
"""

from __future__ import annotations

from functools import lru_cache

from .sql.statements import Column


@lru_cache(maxsize=256)
def compile_path(text: str):
    """A JSONPath from its text (manifest ``rows_at``); raises jsonpath-ng's errors."""
    from jsonpath_ng import parse

    return parse(text)


def lookup(value: object, path: tuple[str, ...]) -> object:
    """The value at ``path`` (object keys, outermost first), or None where the answer has nothing
    there: a missing key, or a null, a scalar or a list on the way (a column path never indexes a
    list)."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


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
        else:
            row[col.label] = lookup(body, col.path)
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
                row[col.label] = lookup(values, col.path)
    return row
