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
import sys
import zlib
from pathlib import Path

from .. import __version__
from ..cachefile import write_json

CACHE_ENV = "HTTPQL_CACHE_DIR"
FORMAT = 2  # raise when what makes a manifest valid changes, so old verdicts are not trusted


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    if sys.platform.startswith("linux"):  # platformdirs' answer, without its import cost
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return Path(base) / "httpql"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("httpql", appauthor=False))


class Index:
    """path -> [mtime_ns, size, description, method summaries] of resource files found valid,
    and [mtime_ns, size, content] of provider.yaml files (their checks are re-run, not the YAML
    parse)."""

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

    def fresh(self, file: Path, stat: os.stat_result) -> tuple[str, list] | None:
        """(description, method summaries) if the file is unchanged since it was found valid."""
        entry = self.files.get(str(file))
        if (isinstance(entry, list) and len(entry) == 4 and entry[0] == stat.st_mtime_ns
                and entry[1] == stat.st_size and isinstance(entry[2], str)
                and isinstance(entry[3], list)):
            return entry[2], entry[3]
        return None

    def record(self, file: Path, stat: os.stat_result, description: str, methods: list) -> None:
        entry = [stat.st_mtime_ns, stat.st_size, description, methods]
        if self.files.get(str(file)) != entry:
            self.files[str(file)] = entry
            self.changed = True

    def document(self, file: Path, stat: os.stat_result) -> dict | None:
        """A provider.yaml's content as last read and found valid, if the file is unchanged."""
        entry = self.files.get(str(file))
        if (isinstance(entry, list) and len(entry) == 3 and entry[0] == stat.st_mtime_ns
                and entry[1] == stat.st_size and isinstance(entry[2], dict)):
            return entry[2]
        return None

    def keep_document(self, file: Path, stat: os.stat_result, doc: dict) -> None:
        entry = [stat.st_mtime_ns, stat.st_size, doc]
        if self.files.get(str(file)) != entry:
            self.files[str(file)] = entry
            self.changed = True

    def cached_doc(self, file: Path, stat: os.stat_result) -> dict | None:
        """A resource file's content as JSON, kept when it was found valid: reading it needs
        neither yaml nor a YAML parse. None if absent, stale or unreadable."""
        try:
            kept = json.loads(self._doc_path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (isinstance(kept, dict) and kept.get("file") == str(file)
                and kept.get("stamp") == [stat.st_mtime_ns, stat.st_size]
                and isinstance(kept.get("doc"), dict)):
            return kept["doc"]
        return None

    def keep_doc(self, file: Path, stat: os.stat_result, doc: dict) -> None:
        target = self._doc_path(file)
        try:
            write_json(target, {"file": str(file), "stamp": [stat.st_mtime_ns, stat.st_size],
                                "doc": doc})
        except (OSError, TypeError, ValueError):
            pass

    def _doc_path(self, file: Path) -> Path:
        return self.path.parent / "manifests" / f"{file.stem}-{zlib.crc32(str(file).encode()):08x}.json"

    def save(self) -> None:
        if not self.changed:
            return
        try:
            write_json(self.path, {"format": FORMAT, "httpql": __version__, "files": self.files})
            self.changed = False
        except (OSError, TypeError, ValueError):
            pass  # a read-only home (or a value JSON cannot hold): start-up just stays slower
