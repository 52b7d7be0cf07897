"""A token that never shows itself in a repr, str, log line or traceback."""

from __future__ import annotations

import re

from ..errors import OperationalError

# A credential after its scheme word, as in an Authorization header quoted by httpx, h11 or a log
# line: the one pattern for masking text that never held the Secret itself.
_CREDENTIAL = re.compile(r"(?i)((?:bearer|basic|token)\s+)[^\s'\",;)\]]+")


def mask_credentials(text: str) -> str:
    """``text`` with anything that looks like a credential after its scheme word masked."""
    return _CREDENTIAL.sub(r"\1****", text)


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def mask_bytes(self, data: bytes) -> bytes:
        """``data`` with every occurrence of the token replaced by ****: an API may echo the
        Authorization header back in an error body."""
        return data.replace(self._value.encode(), b"****") if self._value else data

    def mask(self, text: str) -> str:
        return text.replace(self._value, "****") if self._value else text

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # never pickled along with an object that holds it
        raise TypeError("a Secret cannot be pickled")


def token_from(value: str | Secret | None, source: str) -> Secret | None:
    """A Secret from a configured token, or None if there is none. Surrounding whitespace (a
    newline from a file or an .env line) is dropped; any other space or control character is an
    error that names the source and the position, never the token."""
    if isinstance(value, Secret):
        value = value.reveal()
    value = (value or "").strip()
    if not value:
        return None
    bad = next((i for i, ch in enumerate(value) if not "\x21" <= ch <= "\x7e"), None)
    if bad is None:
        return Secret(value)
    prefixed = value[:7].lower() == "bearer "
    del value  # this frame is in the error's traceback: it must not hold the token
    if prefixed:
        raise OperationalError(f"the API token from {source} starts with 'Bearer ': give the "
                               "token alone, httpql adds the 'Bearer ' itself")
    raise OperationalError(f"the API token from {source} has a space, control or non-ASCII "
                           f"character at position {bad + 1}; an HTTP header cannot carry it "
                           "(check how the token was copied)")
