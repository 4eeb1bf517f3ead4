"""What a Wagtail ``Site``'s hostname and port say about where the portal is served.

The links of the e-mails (receipts, digests, activation) are built from the portal page's full
URL, that is from its ``Site``: a site left as Wagtail's placeholder (``localhost`` on port 80)
sends families links nobody can open. ``checks.check_portal_sites`` warns about such sites and
the demo points its own site at the address ``make demo`` serves.
"""

import ipaddress

# Names reserved for documentation and tests (RFC 2606, RFC 6761): never a town's site.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "invalid")
LOCAL_NAMES = ("localhost",)


def _name(hostname: str) -> str:
    return (hostname or "").strip().lower().rstrip(".")


def _within(name: str, domains) -> bool:
    return any(name == domain or name.endswith("." + domain) for domain in domains)


def is_local_hostname(hostname: str) -> bool:
    """``localhost`` (or a name under it), a loopback or unspecified address, or nothing."""
    name = _name(hostname)
    if not name or _within(name, LOCAL_NAMES):
        return True
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def has_no_real_hostname(hostname: str, port: int) -> bool:
    """True for a site no family could reach and no development server answers at:

    - an empty hostname;
    - a local name or loopback address (``localhost``, ``*.localhost``, ``127.0.0.1``, ``::1``)
      on port 80 — Wagtail's placeholder site, whose links go nowhere (a development server
      on another port, as ``make demo`` sets, is a deliberate choice and is not reported);
    - the unspecified address ``0.0.0.0`` (or ``::``), on any port: a server listens there, but
      it is no address to open;
    - a name reserved for documentation and tests (``example.com``, ``example.org``,
      ``example.net``, ``*.example``, ``*.invalid``).
    """
    name = _name(hostname)
    if not name:
        return True
    if _within(name, RESERVED_DOMAINS):
        return True
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        address = None
    if address is not None and address.is_unspecified:
        return True
    return is_local_hostname(name) and port == 80
