"""Small typed statements: what the planner works from, free of sqlglot's tree."""

from __future__ import annotations

from dataclasses import dataclass, field

Value = str | int | float | bool | None | dict | list


@dataclass(frozen=True)
class Column:
    """A RETURNING or SELECT column: a path into the response (empty path = ``*``)."""

    path: tuple[str, ...]
    alias: str | None = None

    @property
    def star(self) -> bool:
        return not self.path

    @property
    def label(self) -> str:
        return self.alias or ".".join(self.path)


@dataclass(frozen=True)
class Statement:
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=1, compare=False, kw_only=True)
    hints: tuple[str, ...] = field(default=(), kw_only=True)  # /*+ AWAIT */ -> ("AWAIT",)


# A SHOW ... WHERE condition, free of sqlglot: ("and"|"or", left, right), ("not", cond),
# ("cmp", op, column, value) with op one of = != < <= > >=, ("like", column, pattern),
# ("in", column, values), ("null", column).
Condition = tuple


@dataclass(frozen=True)
class Show(Statement):
    kind: str  # PROVIDERS | SERVICES | RESOURCES | METHODS
    target: tuple[str, ...] = ()
    extended: bool = False
    like: str | None = None
    where: Condition | None = None


@dataclass(frozen=True)
class Explain(Statement):
    """EXPLAIN <statement>: the requests it would send, as rows; nothing is sent."""

    statement: Statement


@dataclass(frozen=True)
class Describe(Statement):
    target: tuple[str, ...]
    extended: bool = False


@dataclass(frozen=True)
class Insert(Statement):
    target: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    returning: tuple[Column, ...] | None = None


@dataclass(frozen=True)
class Exec(Statement):
    target: tuple[str, ...]  # provider.service.resource.method
    params: tuple[tuple[str, Value], ...]
    body_json: Value = None  # the @@json value, as written
    has_body_json: bool = False
    returning: tuple[Column, ...] | None = None


@dataclass(frozen=True)
class Select(Statement):
    """SELECT ... FROM a resource. ``where``/``where_in``: the top-level ``name = value`` and
    ``name IN (...)`` conditions, which become request parameters where the read method takes
    them; ``query`` is the statement's sqlglot tree, run by the local SQL engine over the
    fetched rows, with ``slots`` (its string literals and placeholders, bound like any value)
    put back in."""

    target: tuple[str, ...]
    columns: tuple[Column, ...]  # the select list when it is only paths (else empty)
    where: tuple[tuple[str, Value], ...] = ()
    where_in: tuple[tuple[str, tuple[Value, ...]], ...] = ()
    slots: tuple[Value, ...] = ()
    query: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Delete(Statement):
    target: tuple[str, ...]
    where: tuple[tuple[str, Value], ...] = ()
    returning: tuple[Column, ...] | None = None


@dataclass(frozen=True)
class Update(Statement):
    target: tuple[str, ...]
    assignments: tuple[tuple[str, Value], ...]
    where: tuple[tuple[str, Value], ...] = ()
    returning: tuple[Column, ...] | None = None


@dataclass(frozen=True)
class Replace(Update):
    """REPLACE ... SET ... WHERE: UPDATE's shape, answered by a replace (PUT) method."""


@dataclass(frozen=True)
class Placeholder:
    """A ``?`` (key: its 0-based position in the script) or ``:name`` (key: the name)."""

    key: int | str
