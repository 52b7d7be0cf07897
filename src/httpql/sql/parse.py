"""SQL text -> typed statements: the one entry point, ``parse_script``.

Every statement of a script is parsed before any is run, so a syntax error late in a script sends
nothing. Three routes, cheapest first: scripts of plain SHOW/DESCRIBE statements by regular
expression (``quick.py``, no sqlglot import); statements whose shape (the text with its string
literals masked) was parsed before, by filling the values in (``shapes.py``); everything else
through the sqlglot dialect (``translate.py``).
"""

from __future__ import annotations

from ..errors import Error
from . import shapes
from . import statements as st
from .lexer import MAX_CACHED_CHARS, MAX_STATEMENT_CHARS  # noqa: F401 - MAX_STATEMENT_CHARS for callers
from .quick import quick_parse

MAX_SHAPES = 512

# shape -> parsed template, or None for a shape whose fill does not match a real parse
_SHAPES: dict[str, tuple[st.Statement, ...] | None] = {}
_SEEN_ONCE: dict[str, None] = {}  # shapes seen once: a shape is learnt on its second sighting
_STORE: list = []  # [ShapeStore | None] once keep_shapes_across_runs() was called


def keep_shapes_across_runs() -> None:
    """Also count sightings and keep learnt shapes in the cache folder (the command line: each
    run is a new process, and a learnt shape spares it importing sqlglot). The store is read
    only when a statement needs more than the quick parser."""
    if not _STORE:
        _STORE.append(None)


def _store():
    if not _STORE:
        return None
    if _STORE[0] is None:
        from .shape_store import ShapeStore

        _STORE[0] = ShapeStore()
    return _STORE[0]


def parse_script(sql: str) -> list[st.Statement]:
    """Every statement of a script, in order. Raises ParseError/ProgrammingError."""
    quick = quick_parse(sql)
    if quick is not None:
        return quick
    masked = shapes.mask(sql) if len(sql) <= MAX_CACHED_CHARS else None
    if masked is None:
        from .translate import parse_text

        return list(parse_text(sql))
    shape, literals = masked
    template = _SHAPES.get(shape, False)
    store = _store()
    if template is False and store is not None:
        stored = store.template(shape)
        if stored is not None:
            _remember(_SHAPES, shape, stored)
            template = stored
        elif store.seen(shape):
            _remember(_SEEN_ONCE, shape, None)
    if template:
        return list(shapes.fill(template, literals))
    from .translate import parse_text  # sqlglot: only for a shape not learnt yet
    # The real text's parse is what counts (its errors and values). A shape seen a second time
    # is parsed once more, masked, and kept only if filling it gives exactly the same statements;
    # a one-off script costs one parse.
    statements = parse_text(sql)
    if template is None:  # known not to fill faithfully
        return list(statements)
    if shape not in _SEEN_ONCE:
        _remember(_SEEN_ONCE, shape, None)
        if store is not None:
            store.note_seen(shape)
            store.save()
        return list(statements)
    try:
        template = parse_text(shape)
    except Error:
        template = None
    filled = shapes.fill(template, literals) if template is not None else None
    faithful = filled == statements and all(a.text == b.text and a.line == b.line
                                            for a, b in zip(filled, statements))
    _remember(_SHAPES, shape, template if faithful else None)
    if store is not None and faithful:
        store.learn(shape, template)
        store.save()
    return list(statements)


def _remember(cache: dict, key: str, value) -> None:
    if len(cache) >= MAX_SHAPES:
        try:  # oldest first; another thread may be evicting too
            cache.pop(next(iter(cache)), None)
        except (StopIteration, RuntimeError):
            pass
    cache[key] = value

