"""Start-up without reading every manifest: resources load when first named.

An index file remembers each resource file that was read and found valid, by path, size and
modification time, with its description. A file the index vouches for is not read at start-up:
its resource loads (and is checked) when a statement, SHOW or completion first names it. A file
that is new or changed is read and checked at start-up, so a broken manifest is still reported
when the connection opens, with all its problems. The index lives in the user's cache folder
(``$HTTPQL_CACHE_DIR`` overrides it); if it cannot be read or written, everything still works,
only start-up reads every file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import __version__

CACHE_ENV = "HTTPQL_CACHE_DIR"
FORMAT = 1  # raise when what makes a manifest valid changes, so old verdicts are not trusted


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("httpql", appauthor=False))


class Index:
    """path -> [mtime_ns, size, description] of resource files found valid."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else cache_dir() / "manifest-index.json"
        self.files: dict[str, list] = {}
        self.changed = False
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("format") == FORMAT and doc.get("httpql") == __version__:
                self.files = doc["files"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no index yet, or an unreadable one: start afresh

    def fresh(self, file: Path, stat: os.stat_result) -> str | None:
        """The file's description if it is unchanged since it was found valid, else None."""
        entry = self.files.get(str(file))
        if (isinstance(entry, list) and len(entry) == 3 and entry[0] == stat.st_mtime_ns
                and entry[1] == stat.st_size):
            return entry[2] if isinstance(entry[2], str) else ""
        return None

    def record(self, file: Path, stat: os.stat_result, description: str) -> None:
        entry = [stat.st_mtime_ns, stat.st_size, description]
        if self.files.get(str(file)) != entry:
            self.files[str(file)] = entry
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"format": FORMAT, "httpql": __version__,
                                       "files": self.files}), encoding="utf-8")
            os.replace(tmp, self.path)  # another process may write too: last one wins, whole
            self.changed = False
        except OSError:
            pass  # a read-only home: start-up just stays slower
