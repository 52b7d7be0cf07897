"""The one rule for base URLs, wherever they come from (a manifest, $CLOUDFLARE_BASE_URL,
--base-url, connect(base_url=)): https, or http on a loopback host; a host and a valid port; no
credentials, query or fragment. The token only ever goes where this rule allows."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import InterfaceError

_LOOPBACK_NAMES = {"localhost"}


def check_base_url(url: str, provider) -> None:
    """The one rule for base URLs (overrides, environment, manifests): https, or http on a
    loopback host; no credentials, query or fragment. Messages never show a password."""
    shown = re.sub(r"(//)[^/@]*@", r"\1****@", url)

    def bad(why: str) -> InterfaceError:
        return InterfaceError(f"base URL {shown!r} for provider {provider.id} {why}")

    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise bad("contains a space or control character")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as e:  # e.g. an unclosed [ of an IPv6 address
        raise bad(f"is not a valid URL ({e})") from None
    if parts.scheme not in ("https", "http"):
        raise bad("must be https:// (plain http:// is allowed only for loopback hosts: "
                  "127.0.0.1, localhost, ::1)")
    if not host:
        raise bad("has no host name (write it like https://api.example.com/v4)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 and parts.netloc.rpartition("]")[2].count(":"):
        raise bad("has a bad port: give a number from 1 to 65535 after the ':'")
    try:
        is_loopback(host) or host.encode("idna")
    except UnicodeError:
        raise bad(f"has an invalid host name {host!r} (an empty or over-long part between dots)"
                  ) from None
    if "@" in parts.netloc:
        raise bad("must not hold a user name or password: the token comes from the provider's "
                  "credentials")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise bad("must not have a query (?) or fragment (#): method paths are appended to it")
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and is_loopback(host):
        return
    raise bad("must be https:// (plain http:// is allowed only for loopback hosts: 127.0.0.1, "
              "localhost, ::1)")


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
