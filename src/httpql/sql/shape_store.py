"""Statement shapes kept across processes, so a one-shot ``httpql exec`` need not import sqlglot.

``parse.py`` learns a shape (a statement with its string literals masked) on its second sighting,
and only if filling it gives exactly what a real parse gives. This file keeps those sightings and
learnt templates in the cache folder as JSON: a shape seen by an earlier process counts as seen,
and a learnt one is filled without sqlglot. The store is dropped whole when httpql or sqlglot
changes (their versions are part of it), and it is never required: any failure to read or write
it only costs the parse.
"""

from __future__ import annotations

import dataclasses
import json
import os
from importlib.util import find_spec

from .. import __version__
from ..cachefile import write_json
from . import statements as st

FORMAT = 1
MAX_SHAPES = 512
_CLASSES = {c.__name__: c for c in (st.Show, st.Describe, st.Insert, st.Exec, st.Select,
                                    st.Delete, st.Update, st.Replace, st.Column, st.Placeholder)}


class _NotStorable(Exception):
    pass


def _stamp() -> str:
    """httpql's version and the installed sqlglot's file stamp, found without importing it."""
    try:
        spec = find_spec("sqlglot")
        origin = spec.origin if spec is not None else None
        mtime = os.stat(origin).st_mtime_ns if origin else 0
    except (OSError, ValueError, ImportError):
        mtime = 0
    return f"{FORMAT}:{__version__}:{mtime}"


class ShapeStore:
    def __init__(self) -> None:
        from ..manifest.index import cache_dir

        self.path = cache_dir() / "shapes.json"
        self.stamp = _stamp()
        self.shapes: dict[str, object] = {}  # shape -> encoded template, or None: seen once
        self.changed = False
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("stamp") == self.stamp and isinstance(doc.get("shapes"), dict):
                self.shapes = doc["shapes"]
        except (OSError, ValueError, AttributeError):
            pass

    def template(self, shape: str) -> tuple | None:
        encoded = self.shapes.get(shape)
        if not isinstance(encoded, list):
            return None
        try:
            return tuple(_decode(x) for x in encoded)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def seen(self, shape: str) -> bool:
        return shape in self.shapes

    def note_seen(self, shape: str) -> None:
        if shape not in self.shapes:
            self._put(shape, None)

    def learn(self, shape: str, template: tuple) -> None:
        try:
            encoded = [_encode(s) for s in template]
        except _NotStorable:
            return
        self._put(shape, encoded)

    def _put(self, shape: str, value) -> None:
        self.shapes.pop(shape, None)
        while len(self.shapes) >= MAX_SHAPES:  # oldest first
            self.shapes.pop(next(iter(self.shapes)))
        self.shapes[shape] = value
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            write_json(self.path, {"stamp": self.stamp, "shapes": self.shapes})
            self.changed = False
        except (OSError, TypeError, ValueError):
            pass


def _encode(v):
    if dataclasses.is_dataclass(v) and type(v).__name__ in _CLASSES:
        return {"$": type(v).__name__,
                "f": {f.name: _encode(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    if isinstance(v, tuple):
        return {"t": [_encode(x) for x in v]}
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    raise _NotStorable(type(v).__name__)


def _decode(v):
    if isinstance(v, dict):
        if "t" in v:
            return tuple(_decode(x) for x in v["t"])
        cls = _CLASSES[v["$"]]
        return cls(**{k: _decode(x) for k, x in v["f"].items()})
    if isinstance(v, list):
        raise ValueError("a list is not a statement value")
    return v
