"""Where an outbound webhook may go: https to a public address, nothing inside the hospital.

A webhook URL is chosen by an admin but fetched by the worker, inside the
network: without this check it could read a cloud metadata service or poke
internal systems (server-side request forgery). The host is resolved and every
address it resolves to must be public; the send then connects to the address
that was checked, so a DNS answer that changes in between cannot redirect it.
Loopback (and plain http to it) is allowed only with VIGIL_DEV_MODE on.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

# Cloud instance metadata services, refused even where a rule below might miss them.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}
METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


class UnsafeWebhookUrl(ValueError):
    """The URL is not one Vigil will send to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call it (`host`, for TLS and Host)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, dev_mode: bool) -> str | None:
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if dev_mode else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address.is_reserved or address.is_multicast or address.is_unspecified:
        return "a private or reserved address"
    if address.version == 4 and address in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    return None


def check_url(url: str, *, dev_mode: bool, resolve: bool = True) -> Target:
    """The URL resolved and checked, or UnsafeWebhookUrl naming what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookUrl(f"not a URL: {error}") from error
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeWebhookUrl("must be an https:// URL with a host")
    if parts.username or parts.password:
        raise UnsafeWebhookUrl("must not carry a user name or password")
    if host in METADATA_HOSTS:
        raise UnsafeWebhookUrl(f"{host} is a cloud metadata host")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port) if resolve else []
    for address in addresses:
        why = _refusal(address, dev_mode)
        if why:
            raise UnsafeWebhookUrl(f"{host} resolves to {address}, {why}")
    if parts.scheme == "http" and not (dev_mode and addresses
                                       and all(a.is_loopback for a in addresses)):
        raise UnsafeWebhookUrl("must be https (plain http only to loopback in development mode)")
    return Target(url=url, scheme=parts.scheme, host=host, port=port,
                  address=str(addresses[0]) if addresses else host)


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeWebhookUrl(f"{host} does not resolve: {error}") from error
    found = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
        if address not in found:
            found.append(address)
    if not found:
        raise UnsafeWebhookUrl(f"{host} does not resolve")
    return found
