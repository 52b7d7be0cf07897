"""Load and validate provider manifests; every problem is reported together, with file and key.

Layout of a manifest folder (see docs/manifests.md):

    <folder>/<provider>/provider.yaml
    <folder>/<provider>/<service>/<resource>.yaml

(``.yml`` is read like ``.yaml``.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from ..errors import InterfaceError, ManifestError
from .model import (
    LOCATIONS,
    TYPES,
    VERBS,
    Field,
    Method,
    Param,
    Pattern,
    Provider,
    Registry,
    Resource,
    Service,
)

PATH_ENV = "HTTPQL_PROVIDER_PATH"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SUFFIXES = (".yaml", ".yml")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_HINT_PLACEHOLDER = re.compile(r"\{(\w+)\}")  # what plan._fill fills in an outcome_hint
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # used with fullmatch: '$' would allow a final '\n'
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader):
    """A safe loader that records duplicate mapping keys instead of keeping the last one."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[yaml.Node, yaml.Node, yaml.Node]] = []  # mapping, key, first

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue  # merged keys may be overridden; complex keys are refused later
                key = self.construct_object(key_node)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue
                if first is not key_node:
                    self.duplicates.append((node, key_node, first))
        return super().construct_mapping(node, deep=deep)


def default_paths() -> list[Path]:
    """The bundled manifests, then any folders named in $HTTPQL_PROVIDER_PATH."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_provider"  # inside a built wheel
    if not bundled.is_dir():
        bundled = here.parent.parent / "provider"  # a source checkout or editable install
    paths = [bundled]
    extra = os.environ.get(PATH_ENV, "")
    paths += [Path(p) for p in extra.split(os.pathsep) if p]
    return paths


def load_registry(paths: list[Path | str] | None = None) -> Registry:
    problems: list[str] = []
    providers: dict[str, Provider] = {}
    for root in [Path(p) for p in (paths if paths is not None else default_paths())]:
        if not root.is_dir():
            problems.append(f"{root}: manifest folder does not exist")
            continue
        for pfile in _provider_files(root, problems):
            prov = _load_provider(pfile, problems)
            if prov is None:
                continue
            if prov.id in providers:
                problems.append(f"{pfile}: id: provider '{prov.id}' is defined twice")
                continue
            providers[prov.id] = prov
            for rfile in _manifests(pfile.parent, "*/*"):
                _load_resource(rfile, prov, problems)
    if problems:
        raise ManifestError(problems)
    return Registry(providers)


def _manifests(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.suffix in SUFFIXES and p.is_file())


def _provider_files(root: Path, problems: list[str]) -> list[Path]:
    """Each provider's provider.yaml (or .yml); YAML files that would not be read are problems."""
    found = []
    for stray in _manifests(root, "*"):
        problems.append(f"{stray}: (file): not read: a manifest folder holds <provider>/provider.yaml "
                        "and <provider>/<service>/<resource>.yaml")
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        pfiles = [folder / f"provider{s}" for s in SUFFIXES if (folder / f"provider{s}").is_file()]
        if len(pfiles) > 1:
            problems.append(f"{pfiles[1]}: (file): {folder.name} has both provider.yaml and "
                            "provider.yml: keep one")
        if not pfiles:
            unread = _manifests(folder, "*") + _manifests(folder, "*/*")
            if unread:
                problems.append(f"{unread[0]}: (file): not read: its provider folder "
                                f"{folder} has no provider.yaml")
            continue
        found.append(pfiles[0])
        for stray in _manifests(folder, "*"):
            if stray.stem != "provider":
                problems.append(f"{stray}: (file): not read: a resource file belongs in a service "
                                "folder (<provider>/<service>/<resource>.yaml)")
        for stray in _manifests(folder, "*/*/**/*"):
            problems.append(f"{stray}: (file): not read: resource files sit directly in their "
                            "service folder (<provider>/<service>/<resource>.yaml)")
    return found


def _read(path: Path, problems: list[str]) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            loader = _Loader(f)
            try:
                root = loader.get_single_node()
                doc = loader.construct_document(root) if root is not None else None
            finally:
                loader.dispose()
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as e:
        reason = "nests too deeply" if isinstance(e, RecursionError) else str(e).splitlines()[0]
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            reason += f" (line {mark.line + 1}, column {mark.column + 1})"
        problems.append(f"{path}: not readable YAML: {reason}")
        return None
    if loader.duplicates:
        paths = _key_paths(root)
        for mapping, key_node, first in loader.duplicates:
            at = paths.get(id(mapping), "")
            key = f"{at}.{key_node.value}" if at else key_node.value
            here, there = key_node.start_mark, first.start_mark
            col = here.line == there.line  # in one flow mapping: the columns tell them apart
            problems.append(f"{path}: {key}: duplicate key at {_at(here, col)} (first at "
                            f"{_at(there, col)}); keep only one")
    if not isinstance(doc, dict):
        problems.append(f"{path}: the top level must be a mapping")
        return None
    return doc


def _at(mark, column: bool) -> str:
    return f"line {mark.line + 1}" + (f", column {mark.column + 1}" if column else "")


def _key_paths(root: yaml.Node) -> dict[int, str]:
    """id(node) -> its key path ('parameters.name', 'methods[0]'); built only to name duplicates."""
    paths, stack = {id(root): ""}, [root]
    while stack:
        node = stack.pop()
        base = paths[id(node)]
        if isinstance(node, yaml.MappingNode):
            children = [(f"{base}.{_label(k)}" if base else _label(k), v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(f"{base}[{i}]", v) for i, v in enumerate(node.value)]
        else:
            continue
        for label, child in children:
            if id(child) not in paths:  # an alias is named by its first place
                paths[id(child)] = label
                stack.append(child)
    return paths


def _label(key: yaml.Node) -> str:
    return str(key.value) if isinstance(key, yaml.ScalarNode) else "?"


class _Checker:
    """Collects problems for one file, prefixed with file and key."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = path, problems

    def bad(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path}: {key}: {message}")

    def keys(self, key: str, doc: dict, allowed: set[str], required: set[str]) -> None:
        for k in doc:
            if k not in allowed:
                self.bad(f"{key}.{k}" if key else str(k), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in sorted(required - set(doc)):
            self.bad(f"{key}.{k}" if key else k, "missing")

    def str(self, key: str, value, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            self.bad(key, f"must be a {'non-empty ' if required else ''}string, got {_shown(value)}")
            return ""
        return value

    def name(self, key: str, value: str, what: str) -> None:
        if value and not _NAME.fullmatch(value):
            self.bad(key, f"'{value}' must be a plain identifier (letters, digits, _) to be "
                          f"usable as a {what} name")

    def env(self, key: str, value, secret: bool = False) -> str | None:
        """An environment variable's name (never its value). With ``secret``, a wrong value is
        not echoed: it may be the token itself, pasted in by mistake."""
        if value is None:
            return None
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            got = _shown(value).split()[0] + " (not shown)" if secret else _shown(value)
            self.bad(key, f"must be the name of an environment variable (letters, digits, _), "
                          f"got {got}")
            return None
        return value

    def bool(self, key: str, doc: dict, name: str) -> bool:
        value = doc.get(name, False)
        if not isinstance(value, bool):
            self.bad(f"{key}.{name}", f"must be true or false, got {_shown(value)}")
            return False
        return value

    def names(self, key: str, mapping: dict) -> dict:
        """``mapping`` without the entries whose name is not a string (each one a problem)."""
        for k in mapping:
            if not isinstance(k, str) or not k:
                self.bad(f"{key}.{k}", f"a name must be a non-empty string, got {_shown(k)} "
                                       "(quote it: YAML reads yes, no, on, off and numbers "
                                       "as other types)")
        return {k: v for k, v in mapping.items() if isinstance(k, str) and k}


def _shown(value) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "null"}.get(type(value), type(value).__name__)
    return f"{kind} {value!r}"


# --- provider.yaml --------------------------------------------------------------------------------

def _load_provider(path: Path, problems: list[str]) -> Provider | None:
    doc = _read(path, problems)
    if doc is None:
        return None
    c = _Checker(path, problems)
    c.keys("", doc, {"id", "version", "title", "description", "base_url", "base_url_env", "auth",
                     "services", "rate_limit"}, {"id", "base_url", "services"})
    pid = c.str("id", doc.get("id"), required=True)
    c.name("id", pid, "provider")
    if pid and pid != path.parent.name:
        c.bad("id", f"'{pid}' does not match its folder name '{path.parent.name}'")
    version = doc.get("version")
    if version is None:
        version = ""
    elif not isinstance(version, str):
        c.bad("version", f"must be a string, got {_shown(version)}: quote it (YAML reads 1.10 "
                         "as the number 1.1)")
        version = str(version)
    base_url = c.str("base_url", doc.get("base_url"), required=True)
    auth = doc.get("auth")
    if auth is None:
        auth = {}
    elif not isinstance(auth, dict):
        c.bad("auth", f"must be a mapping with type and credentials_env, got {_shown(auth)}")
        auth = {}
    c.keys("auth", auth, {"type", "credentials_env", "permissions"}, set())
    auth_type = auth.get("type", "none")
    if auth_type not in ("bearer", "none"):
        c.bad("auth.type", f"unknown auth type {auth_type!r} (use bearer or none)")
        auth_type = "none"
    credentials_env = c.env("auth.credentials_env", auth.get("credentials_env"), secret=True)
    if auth_type == "bearer" and auth.get("credentials_env") is None:
        c.bad("auth.credentials_env", "bearer auth needs the environment variable holding the token")
    if auth_type == "none" and credentials_env:
        c.bad("auth.credentials_env", "is set, but auth type none sends no token: use type bearer "
                                      "or remove it")
    prov = Provider(id=pid, version=version, title=c.str("title", doc.get("title")),
                    description=c.str("description", doc.get("description")), base_url=base_url,
                    base_url_env=c.env("base_url_env", doc.get("base_url_env")),
                    auth_type=auth_type, credentials_env=credentials_env,
                    permission_hint=c.str("auth.permissions", auth.get("permissions")) or None)
    if base_url:
        _check_base_url(c, base_url, prov)
    prov.rate_limit = _rate_limit(c, doc.get("rate_limit"))
    services = doc.get("services")
    if not isinstance(services, dict) or not services:
        c.bad("services", "must map each service name to its title and description")
        return prov
    for name, svc in c.names("services", services).items():
        c.name(f"services.{name}", name, "service")
        if svc is None:
            svc = {}
        if not isinstance(svc, dict):
            c.bad(f"services.{name}", f"must be a mapping with title and description, got "
                                      f"{_shown(svc)}")
            continue
        c.keys(f"services.{name}", svc, {"title", "description"}, set())
        prov.services[name] = Service(
            provider=pid, name=name, title=c.str(f"services.{name}.title", svc.get("title")),
            description=c.str(f"services.{name}.description", svc.get("description")))
    return prov


def _check_base_url(c: _Checker, url: str, prov: Provider) -> None:
    from ..plan import check_base_url  # the planner's rule (imported here: plan imports manifest)

    try:
        check_base_url(url.rstrip("/") if not url.endswith("//") else url, prov)
    except InterfaceError as e:
        c.bad("base_url", e.message)


# --- <service>/<resource>.yaml --------------------------------------------------------------------

def _rate_limit(c: _Checker, value) -> tuple[int, float] | None:
    """rate_limit: {requests: 1200, seconds: 300}: the API's budget per token."""
    if value is None:
        return None
    if not isinstance(value, dict):
        c.bad("rate_limit", f"must be a mapping like {{requests: 1200, seconds: 300}}, got "
                            f"{_shown(value)}")
        return None
    c.keys("rate_limit", value, {"requests", "seconds"}, {"requests", "seconds"})
    n, s = value.get("requests"), value.get("seconds")
    if type(n) is not int or n < 1:
        c.bad("rate_limit.requests", f"must be a whole number >= 1, got {_shown(n)}")
        return None
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not s > 0:
        c.bad("rate_limit.seconds", f"must be a number of seconds > 0, got {_shown(s)}")
        return None
    return (n, float(s))


def _load_resource(path: Path, prov: Provider, problems: list[str]) -> None:
    c = _Checker(path, problems)
    svc = prov.services.get(path.parent.name)
    if svc is None:
        c.bad("(folder)", f"service '{path.parent.name}' is not declared in {prov.id}/provider.yaml "
                          f"(declared: {', '.join(prov.services) or 'none'})")
        return
    doc = _read(path, problems)
    if doc is None:
        return
    c.keys("", doc, {"name", "description", "parameters", "fields", "methods"},
           {"name", "methods"})
    name = c.str("name", doc.get("name"), required=True)
    c.name("name", name, "resource")
    if name and name != path.stem:
        c.bad("name", f"'{name}' does not match the file name '{path.stem}'")
    params = {}
    for pname, pdoc in _mapping(c, "parameters", doc.get("parameters")).items():
        params[pname] = _param(c, f"parameters.{pname}", pname, pdoc, top=True)
    fields = {fname: _field(c, f"fields.{fname}", fname, fdoc)
              for fname, fdoc in _mapping(c, "fields", doc.get("fields")).items()}
    raw_methods = doc.get("methods")
    if not isinstance(raw_methods, list) or not raw_methods:
        c.bad("methods", "must be a non-empty list of methods")
        raw_methods = []
    seen: set[str] = set()
    methods: list[tuple[str, Method]] = []  # with the key naming each
    for i, mdoc in enumerate(raw_methods):
        m = _method(c, f"methods[{i}]", mdoc, params)
        if m is None:
            continue
        if m.name in seen:
            c.bad(f"methods[{i}].name", f"method '{m.name}' is defined twice")
            continue
        seen.add(m.name)
        methods.append((f"methods[{i}]({m.name})", m))
    _check_reachable(c, methods)
    if name in svc.resources:
        c.bad("name", f"resource '{name}' is defined twice in {prov.id}.{svc.name}")
        return
    svc.resources[name] = Resource(provider=prov.id, service=svc.name, name=name,
                                   description=c.str("description", doc.get("description")),
                                   params=params, fields=fields, methods=[m for _, m in methods])


def _check_reachable(c: _Checker, methods: list[tuple[str, Method]]) -> None:
    """A verb picks the first of its methods whose required parameters are all given, so a later
    method that requires everything an earlier one does (and maybe more) is never picked."""
    for i, (key, m) in enumerate(methods):
        if m.verb not in VERBS or m.verb == "exec":
            continue  # EXEC names its method
        for _, first in methods[:i]:
            if first.verb == m.verb and set(first.required) <= set(m.required):
                c.bad(key, f"{m.verb.upper()} never chooses it: '{first.name}' comes first and "
                           f"requires only {', '.join(first.required) or 'nothing'}; put the "
                           "method with more required parameters first")
                break


def _mapping(c: _Checker, key: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.bad(key, "must be a mapping of names to definitions")
        return {}
    return c.names(key, value)


def _param(c: _Checker, key: str, name: str, doc, top: bool) -> Param:
    if not isinstance(doc, dict):
        c.bad(key, "must be a mapping with at least 'type'")
        return Param(name=name, type="string")
    allowed = {"type", "description", "nullable", "pattern", "format", "max_length", "enum",
               "properties"}
    if top:
        allowed.add("in")
    c.keys(key, doc, allowed, {"type", "in"} if top else {"type"})
    ptype = doc.get("type", "string")
    known = ptype in TYPES  # checks that depend on the type are made only for a known one
    if not known:
        c.bad(f"{key}.type", f"unknown type {ptype!r} (use one of {', '.join(TYPES)})")
    location = doc.get("in", "body")
    if location not in LOCATIONS:
        c.bad(f"{key}.in", f"unknown location {location!r} (use one of {', '.join(LOCATIONS)})")
        location = "body"
    nullable = c.bool(key, doc, "nullable")
    if location == "path":
        if nullable:
            c.bad(f"{key}.nullable", "a path parameter cannot be NULL")
        if known and ptype in ("object", "array"):
            c.bad(f"{key}.type", f"a path parameter is one path segment, not an {ptype}")
    for k in ("pattern", "format", "max_length", "enum"):
        if k in doc and known and ptype != "string":
            c.bad(f"{key}.{k}", f"is checked only for strings, but the type is {ptype}")
    pattern = None
    if "pattern" in doc:
        text = doc["pattern"]
        if not isinstance(text, str) or not text:
            c.bad(f"{key}.pattern", f"must be a regular expression as a string, got {_shown(text)}")
        else:
            try:
                pattern = Pattern(text, re.compile(ecma_pattern(text)))
            except (re.error, OverflowError, RecursionError) as e:
                c.bad(f"{key}.pattern", f"not a valid regular expression: {e}")
    fmt = doc.get("format")
    if fmt not in (None, "uuid"):
        c.bad(f"{key}.format", f"unknown format {fmt!r} (known: uuid)")
        fmt = None
    max_length = doc.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or isinstance(max_length, bool)
                                   or max_length < 1):
        c.bad(f"{key}.max_length", f"must be a positive integer, got {_shown(max_length)}")
        max_length = None
    enum = doc.get("enum")
    if enum is not None:
        enum = _enum(c, f"{key}.enum", enum, pattern, max_length) if ptype == "string" else None
    props = None
    if "properties" in doc:
        if known and ptype != "object":
            c.bad(f"{key}.properties", f"only an object parameter has properties, but the type is "
                                       f"{ptype}")
        if doc["properties"] is None or doc["properties"] == {}:
            c.bad(f"{key}.properties", "is empty, which would refuse every key: list the keys, or "
                                       "leave properties out to allow any")
        props = {pn: _param(c, f"{key}.properties.{pn}", pn, pd, top=False)
                 for pn, pd in _mapping(c, f"{key}.properties", doc["properties"]).items()}
    return Param(name=name, type=ptype if known else "string", location=location,
                 description=c.str(f"{key}.description", doc.get("description")),
                 nullable=nullable, pattern=pattern, format=fmt, max_length=max_length,
                 enum=tuple(enum) if enum else None, properties=props)


def _enum(c: _Checker, key: str, enum, pattern: Pattern | None,
          max_length: int | None) -> list | None:
    if not isinstance(enum, list) or not enum or not all(isinstance(v, str) for v in enum):
        c.bad(key, f"must be a non-empty list of the allowed strings, got {_shown(enum)}")
        return None
    for v in enum:
        if enum.count(v) > 1:
            c.bad(key, f"lists {v!r} more than once")
            break
    for v in enum:
        if pattern is not None and not pattern.search(v):
            c.bad(key, f"{v!r} does not match the parameter's pattern, so it could never be given")
        if max_length is not None and len(v) > max_length:
            c.bad(key, f"{v!r} is longer than max_length {max_length}, so it could never be given")
    return enum


def ecma_pattern(text: str) -> str:
    r"""``text`` with every end anchor ``$`` (unescaped, outside ``[...]``) written ``\Z``.

    A manifest's pattern has JSON Schema (ECMAScript) meaning, where ``$`` matches only at the very
    end; Python's ``$`` also matches before a final newline, which would let 'abc\n' through.
    """
    out, i, n, in_class = [], 0, len(text), False
    while i < n:
        ch = text[i]
        if ch == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and text[i] == "^":
                out.append("^")
                i += 1
            if i < n and text[i] == "]":  # a ']' first in a class is a literal in Python
                out.append("]")
                i += 1
            continue
        elif ch == "$":
            ch = r"\Z"
        out.append(ch)
        i += 1
    return "".join(out)


def _field(c: _Checker, key: str, name: str, doc) -> Field:
    if not isinstance(doc, dict):
        c.bad(key, "must be a mapping with at least 'type'")
        return Field(name=name, type="string")
    c.keys(key, doc, {"type", "description", "properties"}, {"type"})
    ftype = doc.get("type")
    if ftype not in TYPES:
        c.bad(f"{key}.type", f"unknown type {ftype!r} (use one of {', '.join(TYPES)})")
    props = None
    if "properties" in doc:
        if ftype in TYPES and ftype != "object":
            c.bad(f"{key}.properties", f"only an object field has properties, but the type is "
                                       f"{ftype}")
        props = {fn: _field(c, f"{key}.properties.{fn}", fn, fd)
                 for fn, fd in _mapping(c, f"{key}.properties", doc["properties"]).items()}
    return Field(name=name, type=str(ftype), description=c.str(f"{key}.description",
                                                               doc.get("description")),
                 properties=props)


def _method(c: _Checker, key: str, doc, params: dict[str, Param]) -> Method | None:
    if not isinstance(doc, dict):
        c.bad(key, "must be a mapping")
        return None
    c.keys(key, doc, {"name", "sql_verb", "http_method", "path", "required", "optional",
                      "success_status", "description", "object_key", "outcome_hint"},
           {"name", "sql_verb", "http_method", "path"})
    name = c.str(f"{key}.name", doc.get("name"), required=True)
    c.name(f"{key}.name", name, "method")
    key = f"{key}({name})" if name else key
    raw_verb = doc.get("sql_verb", "")
    verb = raw_verb.lower() if isinstance(raw_verb, str) else ""
    if verb not in VERBS:
        c.bad(f"{key}.sql_verb", f"unknown verb {raw_verb!r} (use one of {', '.join(VERBS)})")
    raw_http = doc.get("http_method", "")
    http_method = raw_http.upper() if isinstance(raw_http, str) else ""
    if http_method not in HTTP_METHODS:
        c.bad(f"{key}.http_method", f"unknown HTTP method {raw_http!r} "
                                    f"(use one of {', '.join(HTTP_METHODS)})")
    path = c.str(f"{key}.path", doc.get("path"), required=True)
    if path and not path.startswith("/"):
        c.bad(f"{key}.path", "must start with /")
    if "?" in path or "#" in path:
        c.bad(f"{key}.path", "must not hold a query (?) or fragment (#): declare query parameters "
                             "with 'in: query'")
    if "{" in _PLACEHOLDER.sub("", path) or "}" in _PLACEHOLDER.sub("", path):
        c.bad(f"{key}.path", "has an unbalanced { or }: write each placeholder as {name}")
    required = _names(c, f"{key}.required", doc.get("required"))
    optional = _names(c, f"{key}.optional", doc.get("optional"))
    for dup in sorted(set(required) & set(optional)):
        c.bad(f"{key}.optional", f"'{dup}' is listed as both required and optional")
    mparams: dict[str, Param] = {}
    for pname in required + optional:
        if pname not in params:
            c.bad(f"{key}", f"parameter '{pname}' is not declared under 'parameters'")
        else:
            mparams[pname] = params[pname]
    in_path = _PLACEHOLDER.findall(path)
    for ph in in_path:
        if ph not in params:
            c.bad(f"{key}.path", f"path parameter {{{ph}}} is not declared under 'parameters'")
        elif params[ph].location != "path":
            c.bad(f"{key}.path", f"{{{ph}}} is in the path but declared 'in: {params[ph].location}'")
        elif ph not in required:
            c.bad(f"{key}.required", f"path parameter '{ph}' must be listed as required")
    for pname, p in mparams.items():
        if p.location == "path" and pname not in in_path:
            c.bad(f"{key}", f"path parameter '{pname}' does not appear in the path {path}")
    if http_method == "GET":
        for pname, p in mparams.items():
            if p.location == "body":
                c.bad(f"{key}", f"'{pname}' is a body parameter, but a GET request has no body "
                                "(declare it 'in: query')")
    status = doc.get("success_status", 200)
    statuses = status if isinstance(status, list) else [status]
    if not statuses or not all(isinstance(s, int) and not isinstance(s, bool) and 200 <= s < 300
                               for s in statuses):
        c.bad(f"{key}.success_status", f"must be a 2xx status or a non-empty list of them, got "
                                       f"{_shown(status)}")
        statuses = [200]
    object_key = doc.get("object_key")
    if object_key is not None:
        if not isinstance(object_key, str) or not object_key:
            c.bad(f"{key}.object_key", f"must be a JSONPath as a string, got {_shown(object_key)}")
            object_key = None
        else:
            try:
                from ..project import compile_path

                compile_path(object_key)
            except Exception as e:  # jsonpath-ng raises several unrelated types
                c.bad(f"{key}.object_key", f"not a valid JSONPath ({str(e).splitlines()[0]})")
            if verb and verb != "select":
                c.bad(f"{key}.object_key", f"is used only by select methods, not {verb}")
    hint = c.str(f"{key}.outcome_hint", doc.get("outcome_hint")) or None
    for ph in _HINT_PLACEHOLDER.findall(hint or ""):
        if ph not in mparams:
            c.bad(f"{key}.outcome_hint", f"{{{ph}}} is not a parameter of this method, so it "
                                         "would be shown unfilled")
    return Method(name=name, verb=verb, http_method=http_method, path=path,
                  required=tuple(required), optional=tuple(optional), params=mparams,
                  success_status=tuple(statuses),
                  description=c.str(f"{key}.description", doc.get("description")).strip(),
                  object_key=object_key, outcome_hint=hint)


def _names(c: _Checker, key: str, value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.bad(key, f"must be a list of parameter names, got {_shown(value)}")
        return []
    for v in sorted({v for v in value if value.count(v) > 1}):
        c.bad(key, f"lists '{v}' more than once")
    return list(dict.fromkeys(value))
