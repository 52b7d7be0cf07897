"""Load and validate provider manifests; every problem is reported together, with file and key.

Layout of a manifest folder (see docs/manifests.md):

    <folder>/<provider>/provider.yaml
    <folder>/<provider>/<service>/<resource>.yaml

(``.yml`` is read like ``.yaml``.)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InterfaceError, ManifestError
from .checks import Checker, ecma_pattern, shown
from .index import Index
from .model import (
    DOTTED_PATH,
    ErrorShape,
    Paging,
    Provider,
    Registry,
    Resource,
    Service,
    method_summary,
)

__all__ = ["default_paths", "load_registry", "ecma_pattern"]

PATH_ENV = "HTTPQL_PROVIDER_PATH"
SUFFIXES = (".yaml", ".yml")
SPECS = "specs"  # <folder>/specs holds the generator's inputs (OpenAPI, names, overlays)
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


def load_registry(paths: list[Path | str] | None = None, *, index: Index | None | bool = True,
                  eager: bool = False) -> Registry:
    """Providers and their resources from manifest folders; raises ManifestError listing every
    problem. A resource file ``index`` vouches for (unchanged since found valid) loads when first
    named; every other file is read and checked now. ``eager`` reads and checks every file."""
    if index is True:
        index = Index()
    problems: list[str] = []
    providers: dict[str, Provider] = {}
    for root in [Path(p) for p in (paths if paths is not None else default_paths())]:
        if not root.is_dir():
            problems.append(f"{root}: manifest folder does not exist")
            continue
        for pfile in _provider_files(root, problems):
            prov = _load_provider(pfile, problems, index or None)
            if prov is None:
                continue
            if prov.id in providers:
                problems.append(f"{pfile}: id: provider '{prov.id}' is defined twice")
                continue
            providers[prov.id] = prov
            for rfile in _manifests(pfile.parent, "*/*"):
                _add_resource(rfile, prov, problems, index or None, eager)
    if index:
        index.save()
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
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                         and p.name != SPECS):
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
    from .yamlread import read  # yaml is imported only when a file must be read

    return read(path, problems)


# --- provider.yaml --------------------------------------------------------------------------------

def _load_provider(path: Path, problems: list[str], index: Index | None) -> Provider | None:
    try:
        stat = path.stat()
    except OSError as e:
        problems.append(f"{path}: not readable: {e.strerror or e}")
        return None
    kept = index.document(path, stat) if index is not None else None
    before = len(problems)
    doc = kept if kept is not None else _read(path, problems)
    if doc is None:
        return None
    prov = _provider(path, doc, problems)
    if index is not None and kept is None and len(problems) == before:
        index.keep_document(path, stat, doc)  # next time its checks run without the YAML parse
    return prov


def _provider(path: Path, doc: dict, problems: list[str]) -> Provider | None:
    c = Checker(path, problems)
    c.keys("", doc, {"id", "version", "title", "description", "base_url", "base_url_env", "auth",
                     "services", "rate_limit", "paging", "errors"}, {"id", "base_url", "services"})
    pid = c.str("id", doc.get("id"), required=True)
    c.name("id", pid, "provider")
    if pid and pid != path.parent.name:
        c.bad("id", f"'{pid}' does not match its folder name '{path.parent.name}'")
    version = doc.get("version")
    if version is None:
        version = ""
    elif not isinstance(version, str):
        c.bad("version", f"must be a string, got {shown(version)}: quote it (YAML reads 1.10 "
                         "as the number 1.1)")
        version = str(version)
    base_url = c.str("base_url", doc.get("base_url"), required=True)
    auth = doc.get("auth")
    if auth is None:
        auth = {}
    elif not isinstance(auth, dict):
        c.bad("auth", f"must be a mapping with type and credentials_env, got {shown(auth)}")
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
    prov.paging = _paging(c, doc.get("paging"))
    prov.errors = _error_shape(c, doc.get("errors"))
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
                                      f"{shown(svc)}")
            continue
        c.keys(f"services.{name}", svc, {"title", "description"}, set())
        prov.services[name] = Service(
            provider=pid, name=name, title=c.str(f"services.{name}.title", svc.get("title")),
            description=c.str(f"services.{name}.description", svc.get("description")))
    return prov


def _check_base_url(c: Checker, url: str, prov: Provider) -> None:
    from ..urls import check_base_url

    try:
        check_base_url(url.rstrip("/") if not url.endswith("//") else url, prov)
    except InterfaceError as e:
        c.bad("base_url", e.message)


# --- <service>/<resource>.yaml --------------------------------------------------------------------

def _paging(c: Checker, value) -> Paging | None:
    """paging: {page: page_no, size: per_page, first: 1, items: $.data, counters: [...]}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        c.bad("paging", f"must be a mapping with page, size, first, items and counters, got "
                        f"{shown(value)}")
        return None
    c.keys("paging", value, {"page", "size", "first", "items", "counters"}, {"page", "size"})
    first = value.get("first", 1)
    if type(first) is not int or first < 0:
        c.bad("paging.first", f"must be the first page's number (0 or 1), got {shown(first)}")
        first = 1
    counters = value.get("counters") or []
    paths = [value.get("items")] + list(counters) if isinstance(counters, list) else None
    if paths is None:
        c.bad("paging.counters", f"must be a list of JSONPaths, got {shown(counters)}")
        return None
    for key, path in zip(["paging.items"] + [f"paging.counters[{i}]" for i in
                                             range(len(counters))], paths):
        if path is not None and (not isinstance(path, str) or not DOTTED_PATH.fullmatch(path)):
            c.bad(key, f"must be a path like $.data.paging, got {shown(path)}")
    return Paging(page=c.str("paging.page", value.get("page"), required=True),
                  size=c.str("paging.size", value.get("size"), required=True), first=first,
                  items=value.get("items"), counters=tuple(counters))
def _error_shape(c: Checker, value) -> ErrorShape:
    """errors: {success_field: success, fields: [error, errors], code_key: code,
    message_key: message}: where the API's JSON answers say a request failed."""
    if value is None:
        return ErrorShape()
    if not isinstance(value, dict):
        c.bad("errors", f"must be a mapping (success_field, fields, code_key, message_key), got "
                        f"{shown(value)}")
        return ErrorShape()
    c.keys("errors", value, {"success_field", "fields", "code_key", "message_key"}, set())
    default = ErrorShape()
    fields = value.get("fields", list(default.fields))
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f
                                                             for f in fields):
        c.bad("errors.fields", f"must be a non-empty list of field names, got {shown(fields)}")
        fields = list(default.fields)
    return ErrorShape(success_field=c.str("errors.success_field", value.get("success_field")) or None,
                      fields=tuple(fields),
                      code_key=c.str("errors.code_key", value.get("code_key")) or default.code_key,
                      message_key=(c.str("errors.message_key", value.get("message_key"))
                                   or default.message_key))


def _rate_limit(c: Checker, value) -> tuple[int, float] | None:
    """rate_limit: {requests: 1200, seconds: 300}: the API's budget per token."""
    if value is None:
        return None
    if not isinstance(value, dict):
        c.bad("rate_limit", f"must be a mapping like {{requests: 1200, seconds: 300}}, got "
                            f"{shown(value)}")
        return None
    c.keys("rate_limit", value, {"requests", "seconds"}, {"requests", "seconds"})
    n, s = value.get("requests"), value.get("seconds")
    if type(n) is not int or n < 1:
        c.bad("rate_limit.requests", f"must be a whole number >= 1, got {shown(n)}")
        return None
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not s > 0:
        c.bad("rate_limit.seconds", f"must be a number of seconds > 0, got {shown(s)}")
        return None
    return (n, float(s))


def _add_resource(path: Path, prov: Provider, problems: list[str], index: Index | None,
                  eager: bool) -> None:
    svc = prov.services.get(path.parent.name)
    if svc is None:
        Checker(path, problems).bad(
            "(folder)", f"service '{path.parent.name}' is not declared in {prov.id}/provider.yaml "
                        f"(declared: {', '.join(prov.services) or 'none'})")
        return
    if path.stem in svc.resources:  # livestreams.yaml and livestreams.yml
        Checker(path, problems).bad("name", f"resource '{path.stem}' is defined twice in "
                                            f"{prov.id}.{svc.name}")
        return
    try:
        stat = path.stat()
    except OSError as e:
        problems.append(f"{path}: not readable: {e.strerror or e}")
        return
    known = index.fresh(path, stat) if index is not None and not eager else None
    if known is not None:
        svc.resources.add_lazy(path.stem, lambda: _load_later(path, prov, index, stat), *known)
        return
    before = len(problems)
    doc = _read(path, problems)
    res = _parse_resource(path, prov, doc, problems) if doc is not None else None
    if res is not None and len(problems) == before:
        svc.resources[res.name] = res
        if index is not None:
            index.record(path, stat, res.description, method_summary(res))
            index.keep_doc(path, stat, doc)


def _load_later(path: Path, prov: Provider, index: Index, stat) -> Resource:
    """A resource the index vouches for, when first named: from its JSON copy if that is
    current, else from the YAML; checked either way."""
    problems: list[str] = []
    doc = index.cached_doc(path, stat)
    copy = doc is None
    if copy:
        doc = _read(path, problems)
    res = _parse_resource(path, prov, doc, problems) if doc is not None else None
    if problems or res is None:
        raise ManifestError(problems or [f"{path}: could not be read"])
    if copy:
        index.keep_doc(path, stat, doc)  # the next run reads it without yaml
    return res


def _parse_resource(path: Path, prov: Provider, doc: dict, problems: list[str]) -> Resource:
    from .resource import parse_resource

    return parse_resource(Checker(path, problems), doc, path.stem, prov.id, path.parent.name)
