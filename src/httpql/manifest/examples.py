"""Deterministic example values built from a manifest's schema nodes.

The emulator answers the operations it does not model with ``example(method.response)``, so every
statement can be tried without an account; the same value comes back every time.
"""

from __future__ import annotations

from .model import Param

EXAMPLE_UUID = "00000000-0000-4000-8000-000000000000"
_BY_FORMAT = {"uuid": EXAMPLE_UUID, "date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01",
              "time": "00:00:00Z", "uri": "https://example.com/", "email": "user@example.com",
              "hostname": "example.com", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1"}
MAX_DEPTH = 8  # a recursive answer is cut here


def example(node: Param | None, depth: int = 0):
    """A value that fits ``node``: every described property, one element per array, the first
    enum value, a bound of a range; None for a node that allows anything."""
    if node is None or depth > MAX_DEPTH:
        return None
    kind = node.type
    if kind == "object" or (kind is None and node.properties):
        return {k: example(v, depth + 1) for k, v in (node.properties or {}).items()}
    if kind == "array":
        return [example(node.items, depth + 1)] if node.items is not None else []
    if kind == "string":
        if node.enum:
            return node.enum[0]
        if node.format in _BY_FORMAT:
            return _BY_FORMAT[node.format]
        text = node.name if node.name and node.name.isidentifier() else "example"
        return text[:node.max_length] if node.max_length else text
    if kind in ("integer", "number"):
        if node.minimum is not None:
            return node.minimum
        return min(1, node.maximum) if node.maximum is not None else 1
    if kind == "boolean":
        return True
    return None
