"""The provider → service → resource → method registry built from the manifests."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field

from ..errors import ProgrammingError

VERBS = ("select", "insert", "delete", "update", "replace", "exec")  # stackql's SHOW METHODS order
LOCATIONS = ("path", "query", "header", "body")
TYPES = ("string", "integer", "number", "boolean", "object", "array")
DOTTED_PATH = re.compile(r"\$(?:\.[A-Za-z_][A-Za-z0-9_]*)*")  # $.data.paging: a plain walk


def walk(value, path: str | None):
    """The value at a dotted path ($.a.b) of decoded JSON, or None where it is absent."""
    for part in (path or "$").split(".")[1:]:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class Pattern:
    """A string parameter's pattern. ``pattern`` is the manifest's text (shown in errors);
    ``$`` has its JSON Schema (ECMAScript) meaning, the very end of the string, which ``regex``
    spells ``\\Z`` (Python's ``$`` would also match before a final newline). Other syntax is
    Python's: ``\\d`` and ``\\w`` also match non-ASCII digits and letters."""

    pattern: str
    regex: re.Pattern = field(compare=False, repr=False)

    def search(self, value: str) -> re.Match | None:
        return self.regex.search(value)


@dataclass(frozen=True)
class Param:
    """One JSON Schema node: a request parameter (``location`` says where it goes), a property
    of one, or a node of a response schema. ``type`` None means any JSON value."""

    name: str
    type: str | None
    location: str = "body"  # path | query | header | body (nested properties: body)
    description: str = ""
    nullable: bool = False
    pattern: Pattern | None = None
    format: str | None = None
    max_length: int | None = None  # JSON Schema maxLength
    enum: tuple | None = None
    properties: dict[str, Param] | None = None
    required: tuple[str, ...] = ()  # an object's keys that must be present
    items: Param | None = None  # an array's elements
    minimum: int | float | None = None
    maximum: int | float | None = None


Field = Param  # a response node is the same kind of schema node


@dataclass(frozen=True)
class Method:
    name: str
    verb: str
    http_method: str
    path: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    params: dict[str, Param]  # every parameter the method takes, required first
    success_status: tuple[int, ...]
    description: str = ""
    rows_at: str | None = None  # JSONPath to a read method's rows (stackql's objectKey)
    outcome_hint: str | None = None  # how to check state when a POST's outcome is unknown
    response: Param | None = None  # the schema of a successful answer
    operation_id: str = ""
    examples: tuple[str, ...] = ()

    @property
    def body_params(self) -> tuple[str, ...]:
        return tuple(n for n, p in self.params.items() if p.location == "body")

    @property
    def object_key(self) -> str | None:
        return self.rows_at

    @property
    def fields(self) -> dict[str, Param]:
        """The answer's top-level fields (empty when the answer is not described)."""
        r = self.response
        return dict(r.properties) if r is not None and r.properties else {}


@dataclass
class Resource:
    provider: str
    service: str
    name: str
    description: str
    methods: list[Method]

    @property
    def id(self) -> str:
        return f"{self.provider}.{self.service}.{self.name}"

    @property
    def params(self) -> dict[str, Param]:
        """Every parameter name any method takes, as the first method taking it declares it."""
        out: dict[str, Param] = {}
        for m in self.methods:
            for name, p in m.params.items():
                out.setdefault(name, p)
        return out

    @property
    def fields(self) -> dict[str, Param]:
        """Every top-level answer field of any method, as the first method describing it has it."""
        out: dict[str, Param] = {}
        for m in self.methods:
            for name, f in m.fields.items():
                out.setdefault(name, f)
        return out

    def methods_for(self, verb: str) -> list[Method]:
        return [m for m in self.methods if m.verb == verb]

    def method(self, name: str) -> Method:
        for m in self.methods:
            if m.name == name:
                return m
        raise unknown("method", name, [m.name for m in self.methods], f"resource {self.id}")


class Resources(MutableMapping):
    """A service's resources by name; those registered with a loader load on first access."""

    def __init__(self) -> None:
        self._loaded: dict[str, Resource] = {}
        self._pending: dict[str, tuple[Callable[[], Resource], str, list]] = {}
        self._order: list[str] = []

    def add_lazy(self, name: str, load: Callable[[], Resource], description: str,
                 methods: list) -> None:
        """``methods``: the summary SHOW METHODS shows (see ``summary``), from the index."""
        if name not in self._order:
            self._order.append(name)
        self._pending[name] = (load, description, methods)

    def summary(self, name: str) -> list[dict]:
        """Each method's name, verb, required and optional parameters and description, in
        manifest order, without loading the resource."""
        if name in self._loaded:
            return method_summary(self._loaded[name])
        return self._pending[name][2]

    def description(self, name: str) -> str:
        """Without loading the resource."""
        if name in self._loaded:
            return self._loaded[name].description
        return self._pending[name][1]

    def __getitem__(self, name: str) -> Resource:
        res = self._loaded.get(name)
        if res is None:
            if name not in self._pending:
                raise KeyError(name)
            res = self._pending[name][0]()  # raises ManifestError naming the file's problems
            self._loaded[name] = res
            del self._pending[name]
        return res

    def __setitem__(self, name: str, res: Resource) -> None:
        if name not in self._order:
            self._order.append(name)
        self._pending.pop(name, None)
        self._loaded[name] = res

    def __delitem__(self, name: str) -> None:
        self._order.remove(name)
        self._loaded.pop(name, None)
        self._pending.pop(name, None)

    def __contains__(self, name) -> bool:
        return name in self._loaded or name in self._pending

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


def method_summary(res: Resource) -> list[dict]:
    return [{"name": m.name, "verb": m.verb, "required": list(m.required),
             "optional": list(m.optional), "description": m.description} for m in res.methods]


@dataclass
class Service:
    provider: str
    name: str
    title: str = ""
    description: str = ""
    resources: Resources = field(default_factory=lambda: Resources())


@dataclass(frozen=True)
class Paging:
    """How a provider's list operations page: the query parameters that pick the page and its
    size, the first page's number, where a page's items are (an empty list ends the listing)
    and where the counters are ({end_offset, total_count}; the first path found is used)."""

    page: str
    size: str
    first: int = 1
    items: str | None = None
    counters: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorShape:
    """How a provider's JSON answers say a request failed (``errors:`` in provider.yaml), so the
    HTTP client reads any provider's errors without knowing whose they are."""

    success_field: str | None = None  # a 2xx answer whose body has this field false failed
    fields: tuple[str, ...] = ("error", "errors", "message")  # where the error is, tried in order
    code_key: str = "code"  # in an error object, its code ...
    message_key: str = "message"  # ... and its message


@dataclass
class Provider:
    id: str
    version: str
    title: str
    description: str
    base_url: str
    base_url_env: str | None
    auth_type: str
    credentials_env: str | None
    services: dict[str, Service] = field(default_factory=dict)
    permission_hint: str | None = None  # what a token needs, for 401/403 and missing-token errors
    paging: Paging | None = None  # how list operations page (None: they don't)
    rate_limit: tuple[int, float] | None = None  # (requests, seconds) the API allows per token
    errors: ErrorShape = field(default_factory=ErrorShape)


class Registry:
    """All loaded providers; resolves dotted names with helpful errors."""

    def __init__(self, providers: dict[str, Provider]) -> None:
        self.providers = providers

    def provider(self, name: str) -> Provider:
        try:
            return self.providers[name]
        except KeyError:
            raise unknown("provider", name, list(self.providers), "httpql") from None

    def service(self, parts: tuple[str, ...]) -> Service:
        if len(parts) != 2:
            raise ProgrammingError(f"expected a service name like provider.service, got "
                                   f"'{'.'.join(parts)}'")
        prov = self.provider(parts[0])
        try:
            return prov.services[parts[1]]
        except KeyError:
            raise unknown("service", parts[1], list(prov.services), f"provider {prov.id}") from None

    def resource(self, parts: tuple[str, ...]) -> Resource:
        svc = self._service_of(parts)
        return svc.resources[parts[2]]

    def summary(self, parts: tuple[str, ...]) -> list[dict]:
        """A resource's methods as SHOW METHODS lists them, without loading its manifest."""
        return self._service_of(parts).resources.summary(parts[2])

    def _service_of(self, parts: tuple[str, ...]) -> Service:
        if len(parts) != 3:
            raise ProgrammingError(f"expected a resource name like provider.service.resource, got "
                                   f"'{'.'.join(parts)}'")
        svc = self.service(parts[:2])
        if parts[2] not in svc.resources:
            raise unknown("resource", parts[2], list(svc.resources),
                          f"service {svc.provider}.{svc.name}")
        return svc


def unknown(kind: str, name: str, known: list[str], where: str) -> ProgrammingError:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if not close and len(name) >= 3:
        close = [k for k in known if name.lower().strip("@") in k.lower()][:1]
    hint = f"; did you mean '{close[0]}'?" if close else ""
    listing = ", ".join(known) if known else "none"
    return ProgrammingError(f"unknown {kind} '{name}' in {where}{hint} (available: {listing})")
