"""Answers for the operations the emulator does not model: an example built from the generated
manifest's response schema, the same every time, so every statement can be tried locally.

Routes come from the bundled Cloudflare manifests, read on the first request that needs them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import unquote

from ..manifest.model import Method

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    segments: tuple[str, ...]  # literal segments, or '{name}'
    method: Method

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        values = {}
        for want, got in zip(self.segments, segments):
            m = _PLACEHOLDER.fullmatch(want)
            if m:
                values[m.group(1)] = got
            elif want != got:
                return None
        return values


_ROUTES: list[Route] | None = None
_LOCK = threading.Lock()


def routes() -> list[Route]:
    """Every method of the bundled cloudflare provider, most literal paths first (so
    /recordings/active-recording/{id} wins over /recordings/{recording_id}/...)."""
    global _ROUTES
    with _LOCK:
        if _ROUTES is None:
            from ..manifest import default_paths, load_registry

            provider = load_registry(default_paths()[:1]).provider("cloudflare")
            found = [Route(tuple(m.path.strip("/").split("/")), m)
                     for svc in provider.services.values()
                     for name in svc.resources for m in svc.resources[name].methods]
            found.sort(key=lambda r: sum(bool(_PLACEHOLDER.fullmatch(s)) for s in r.segments))
            _ROUTES = found
        return _ROUTES


def find(http_method: str, path: str) -> tuple[Method | None, dict[str, str], list[str]]:
    """(the method answering, its path values, the HTTP methods the path allows); the method is
    None when no route has this path and HTTP method."""
    segments = [unquote(s) for s in path.strip("/").split("/")]
    allowed: list[str] = []
    for route in routes():
        values = route.match(segments)
        if values is None:
            continue
        if route.method.http_method == http_method:
            return route.method, values, allowed
        allowed.append(route.method.http_method)
    return None, {}, allowed
