"""Files in httpql's cache folder (the manifest index, learnt statement shapes)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json(path: Path, data) -> None:
    """Write ``data`` as JSON, whole or not at all: another httpql process may be writing the
    same file (the last one wins). Raises OSError, TypeError or ValueError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
