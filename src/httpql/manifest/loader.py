"""Load and validate provider manifests; every problem is reported together, with file and key.

Layout of a manifest folder (see docs/manifests.md):

    <folder>/<provider>/provider.yaml
    <folder>/<provider>/<service>/<resource>.yaml
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from ..errors import ManifestError
from .model import (
    LOCATIONS,
    TYPES,
    VERBS,
    Field,
    Method,
    Param,
    Provider,
    Registry,
    Resource,
    Service,
)

PATH_ENV = "HTTPQL_PROVIDER_PATH"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        for pfile in sorted(root.glob("*/provider.yaml")):
            prov = _load_provider(pfile, problems)
            if prov is None:
                continue
            if prov.id in providers:
                problems.append(f"{pfile}: id: provider '{prov.id}' is defined twice")
                continue
            providers[prov.id] = prov
            for rfile in sorted(pfile.parent.glob("*/*.yaml")):
                _load_resource(rfile, prov, problems)
    if problems:
        raise ManifestError(problems)
    return Registry(providers)


def _read(path: Path, problems: list[str]) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=_Loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as e:
        problems.append(f"{path}: not readable YAML: {str(e).splitlines()[0]}")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{path}: the top level must be a mapping")
        return None
    return doc


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
            self.bad(key, f"must be a non-empty string, got {value!r}")
            return ""
        return value


def _load_provider(path: Path, problems: list[str]) -> Provider | None:
    doc = _read(path, problems)
    if doc is None:
        return None
    c = _Checker(path, problems)
    c.keys("", doc, {"id", "version", "title", "description", "base_url", "base_url_env", "auth",
                     "services"}, {"id", "base_url", "services"})
    pid = c.str("id", doc.get("id"), required=True)
    if pid and pid != path.parent.name:
        c.bad("id", f"'{pid}' does not match its folder name '{path.parent.name}'")
    base_url = c.str("base_url", doc.get("base_url"), required=True)
    if base_url and not base_url.startswith(("https://", "http://")):
        c.bad("base_url", "must start with https://")
    auth = doc.get("auth") or {}
    if not isinstance(auth, dict):
        c.bad("auth", "must be a mapping")
        auth = {}
    c.keys("auth", auth, {"type", "credentials_env"}, set())
    auth_type = auth.get("type", "none")
    if auth_type not in ("bearer", "none"):
        c.bad("auth.type", f"unknown auth type {auth_type!r} (use bearer or none)")
    if auth_type == "bearer" and not auth.get("credentials_env"):
        c.bad("auth.credentials_env", "bearer auth needs the environment variable holding the token")
    prov = Provider(id=pid, version=str(doc.get("version", "")), title=c.str("title", doc.get("title")),
                    description=c.str("description", doc.get("description")), base_url=base_url,
                    base_url_env=doc.get("base_url_env"), auth_type=auth_type,
                    credentials_env=auth.get("credentials_env"))
    services = doc.get("services")
    if not isinstance(services, dict) or not services:
        c.bad("services", "must map each service name to its title and description")
        return prov
    for name, svc in services.items():
        svc = svc or {}
        if not _NAME.match(str(name)):
            c.bad(f"services.{name}", "a service name must be a plain identifier")
        if not isinstance(svc, dict):
            c.bad(f"services.{name}", "must be a mapping")
            continue
        c.keys(f"services.{name}", svc, {"title", "description"}, set())
        prov.services[name] = Service(provider=pid, name=name, title=svc.get("title", ""),
                                      description=svc.get("description", ""))
    return prov


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
    if name and name != path.stem:
        c.bad("name", f"'{name}' does not match the file name '{path.stem}'")
    params = {}
    for pname, pdoc in _mapping(c, "parameters", doc.get("parameters")).items():
        params[pname] = _param(c, f"parameters.{pname}", pname, pdoc, top=True)
    fields = {fname: _field(c, f"fields.{fname}", fname, fdoc)
              for fname, fdoc in _mapping(c, "fields", doc.get("fields")).items()}
    methods: list[Method] = []
    raw_methods = doc.get("methods")
    if not isinstance(raw_methods, list) or not raw_methods:
        c.bad("methods", "must be a non-empty list of methods")
        raw_methods = []
    seen: set[str] = set()
    for i, mdoc in enumerate(raw_methods):
        m = _method(c, f"methods[{i}]", mdoc, params)
        if m is None:
            continue
        if m.name in seen:
            c.bad(f"methods[{i}].name", f"method '{m.name}' is defined twice")
            continue
        seen.add(m.name)
        methods.append(m)
    if name in svc.resources:
        c.bad("name", f"resource '{name}' is defined twice in {prov.id}.{svc.name}")
        return
    svc.resources[name] = Resource(provider=prov.id, service=svc.name, name=name,
                                   description=c.str("description", doc.get("description")),
                                   params=params, fields=fields, methods=methods)


def _mapping(c: _Checker, key: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.bad(key, "must be a mapping of names to definitions")
        return {}
    return value


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
    if ptype not in TYPES:
        c.bad(f"{key}.type", f"unknown type {ptype!r} (use one of {', '.join(TYPES)})")
    location = doc.get("in", "body")
    if location not in LOCATIONS:
        c.bad(f"{key}.in", f"unknown location {location!r} (use one of {', '.join(LOCATIONS)})")
    pattern = None
    if "pattern" in doc:
        try:
            pattern = re.compile(str(doc["pattern"]))
        except re.error as e:
            c.bad(f"{key}.pattern", f"not a valid regular expression: {e}")
    fmt = doc.get("format")
    if fmt not in (None, "uuid"):
        c.bad(f"{key}.format", f"unknown format {fmt!r} (known: uuid)")
    max_length = doc.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        c.bad(f"{key}.max_length", "must be a positive integer")
    enum = doc.get("enum")
    if enum is not None and not isinstance(enum, list):
        c.bad(f"{key}.enum", "must be a list of allowed values")
        enum = None
    props = None
    if "properties" in doc:
        if ptype != "object":
            c.bad(f"{key}.properties", "only an object parameter has properties")
        props = {pn: _param(c, f"{key}.properties.{pn}", pn, pd, top=False)
                 for pn, pd in _mapping(c, f"{key}.properties", doc["properties"]).items()}
    return Param(name=name, type=ptype, location=location, description=str(doc.get("description", "")),
                 nullable=bool(doc.get("nullable", False)), pattern=pattern, format=fmt,
                 max_length=max_length, enum=tuple(enum) if enum else None, properties=props)


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
        props = {fn: _field(c, f"{key}.properties.{fn}", fn, fd)
                 for fn, fd in _mapping(c, f"{key}.properties", doc["properties"]).items()}
    return Field(name=name, type=str(ftype), description=str(doc.get("description", "")),
                 properties=props)


def _method(c: _Checker, key: str, doc, params: dict[str, Param]) -> Method | None:
    if not isinstance(doc, dict):
        c.bad(key, "must be a mapping")
        return None
    c.keys(key, doc, {"name", "sql_verb", "http_method", "path", "required", "optional",
                      "success_status", "description", "object_key", "outcome_hint"},
           {"name", "sql_verb", "http_method", "path"})
    name = c.str(f"{key}.name", doc.get("name"), required=True)
    if name and not _NAME.match(name):
        c.bad(f"{key}.name", f"'{name}' must be a plain identifier (letters, digits, _)")
    key = f"{key}({name})" if name else key
    verb = str(doc.get("sql_verb", "")).lower()
    if verb not in VERBS:
        c.bad(f"{key}.sql_verb", f"unknown verb {doc.get('sql_verb')!r} (use one of {', '.join(VERBS)})")
    http_method = str(doc.get("http_method", "")).upper()
    if http_method not in HTTP_METHODS:
        c.bad(f"{key}.http_method", f"unknown HTTP method {doc.get('http_method')!r} "
                                    f"(use one of {', '.join(HTTP_METHODS)})")
    path = c.str(f"{key}.path", doc.get("path"), required=True)
    if path and not path.startswith("/"):
        c.bad(f"{key}.path", "must start with /")
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
    status = doc.get("success_status", 200)
    statuses = status if isinstance(status, list) else [status]
    if not all(isinstance(s, int) and 200 <= s < 300 for s in statuses):
        c.bad(f"{key}.success_status", f"must be a 2xx status or a list of them, got {status!r}")
        statuses = [200]
    object_key = doc.get("object_key")
    if object_key is not None:
        try:
            from ..project import compile_path

            compile_path(str(object_key))
        except Exception as e:  # jsonpath-ng raises several unrelated types
            c.bad(f"{key}.object_key", f"not a valid JSONPath ({str(e).splitlines()[0]})")
    return Method(name=name, verb=verb, http_method=http_method, path=path,
                  required=tuple(required), optional=tuple(optional), params=mparams,
                  success_status=tuple(statuses), description=str(doc.get("description", "")).strip(),
                  object_key=object_key, outcome_hint=doc.get("outcome_hint"))


def _names(c: _Checker, key: str, value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.bad(key, "must be a list of parameter names")
        return []
    return list(value)
