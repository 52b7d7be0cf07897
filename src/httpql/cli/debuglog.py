"""--debug: httpx's and httpcore's own log lines on stderr, with credentials masked."""

from __future__ import annotations

import logging
import sys


def start(credential_vars: set[str]) -> None:
    """httpx and httpcore loggers at DEBUG on stderr, through a filter that masks credentials:
    anything after "Bearer" and the values of the providers' credential variables (httpx does
    not log headers today; the filter keeps that true whatever a version logs)."""
    handler = Stderr()
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    handler.addFilter(MaskCredentials(credential_vars))
    for name in ("httpx", "httpcore"):
        log = logging.getLogger(name)
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)


class Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the time (the shell and tests may swap it)."""

    def emit(self, record) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


class MaskCredentials(logging.Filter):
    def __init__(self, credential_vars: set[str]) -> None:
        super().__init__()
        self.credential_vars = credential_vars

    def filter(self, record) -> bool:
        import os

        from ..http.secret import mask_credentials

        text = mask_credentials(record.getMessage())
        for name in self.credential_vars:
            token = os.environ.get(name, "").strip()
            if token:
                text = text.replace(token, "****")
        record.msg, record.args = text, None
        return True
