"""WIT values as the `wasmtime` wheel represents them, for `smtp:client@0.2.0`.

The wheel maps component values to Python as follows (wasmtime 50.0.1):
- a record is a `wasmtime.component.Record` whose attributes carry the WIT field names,
  hyphens included (`tls-mode`); `record()` builds one from snake_case keywords and `field()`
  reads one by its snake_case name;
- an enum is its case name (`"required-starttls"`), flags a `set` of names;
- an option is `None` or its payload, unless the payload itself can be `None`: then it is
  "tagged", `Variant("none")` or `Variant("some", payload)`;
- a variant or result whose cases have distinct Python types is "untagged" (the payload alone,
  `None` for a case without one); otherwise it is `Variant(tag, payload)`.

Which of our types are tagged follows from the WIT and is written next to each helper here.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Optional, Union

from wasmtime.component import Record, Variant

IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def record(**fields: Any) -> Record:
    """A WIT record with the given fields (snake_case names become the WIT's kebab-case)."""
    value = Record()
    for name, field_value in fields.items():
        setattr(value, name.replace("_", "-"), field_value)
    return value


def field(value: Record, name: str) -> Any:
    """The field `name` (snake_case) of a record lifted from the component."""
    return getattr(value, name.replace("_", "-"))


def ip_address(ip: IpAddress) -> Variant:
    """`types.ip-address` (tagged: both cases are tuples)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return Variant("ipv4", tuple(ip.packed))
    groups = ip.packed
    return Variant("ipv6", tuple(int.from_bytes(groups[i : i + 2], "big") for i in range(0, 16, 2)))


def ip_from_wit(value: Variant) -> IpAddress:
    """The Python address of a `types.ip-address`."""
    if value.tag == "ipv4":
        return ipaddress.IPv4Address(bytes(value.payload))
    return ipaddress.IPv6Address(b"".join(group.to_bytes(2, "big") for group in value.payload))


def socket_address(ip: IpAddress, port: int) -> Record:
    """`tcp.socket-address`."""
    return record(address=ip_address(ip), port=port)


def domain(name: str) -> Record:
    """`types.domain` from a name as the user wrote it: ASCII lower case without the
    trailing dot; an internationalized name (RFC 5890) as its A-labels with `unicode` set."""
    name = name.rstrip(".")
    try:
        name.encode("ascii")
        return record(ascii=name.lower(), unicode=None)
    except UnicodeEncodeError:
        return record(ascii=name.encode("idna").decode("ascii").lower(), unicode=name)


def machine_name() -> str:
    """The default EHLO name, as `hostname --fqdn` finds it (RFC 5321 §4.1.1.1: "the
    fully-qualified domain name of the SMTP client, if one is available"; servers that check
    it refuse `localhost`): the canonical name of the host name (getaddrinfo: /etc/hosts, then
    DNS) when it is fully qualified and not a loopback name, else the host name, `localhost`
    only when the machine has none."""
    def loopback(name: str) -> bool:
        return name.split(".")[0].lower() == "localhost"

    hostname = socket.gethostname().rstrip(".")
    try:
        canonical = socket.getaddrinfo(hostname, None, flags=socket.AI_CANONNAME)[0][3].rstrip(".")
    except (OSError, IndexError, UnicodeError):
        canonical = ""
    if "." in canonical and not loopback(canonical):
        return canonical.lower()
    if not hostname or loopback(hostname):
        return "localhost"
    return hostname.lower()


def next_hop(text: str) -> Union[Record, Variant]:
    """`types.ip-domain` (untagged: a Variant for an IP, a Record for a domain) from the domain
    part of an address: an address literal `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321
    §4.1.3) is an IP, anything else a domain."""
    if text.startswith("[") and text.endswith("]"):
        literal = text[1:-1]
        if literal[:5].lower() == "ipv6:":
            literal = literal[5:]
        try:
            return ip_address(ipaddress.ip_address(literal))
        except ValueError:
            pass
    return domain(text)


def ip_domain_text(value: Union[Record, Variant]) -> str:
    """A `types.ip-domain` as text: the address, or the domain (Unicode when it has one)."""
    if isinstance(value, Variant):
        return str(ip_from_wit(value))
    return field(value, "unicode") or field(value, "ascii")


def tlsa(usage: int, selector: int, matching_type: int, data: bytes) -> Record:
    """`types.tlsa` (RFC 6698 §2.1)."""
    return record(usage=usage, selector=selector, matching_type=matching_type, data=bytes(data))


def tlsa_text(value: Record) -> str:
    """A TLSA record in presentation form, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698 §2.2)."""
    return "%d %d %d %s" % (
        field(value, "usage"),
        field(value, "selector"),
        field(value, "matching_type"),
        bytes(field(value, "data")).hex(),
    )


def parse_tlsa(text: str) -> Record:
    """A TLSA record from "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698 §2.2; blanks may split
    the hex); `ValueError` when it is not one."""
    parts = text.split()
    if len(parts) < 4:
        raise ValueError("want \"USAGE SELECTOR MATCHING-TYPE HEX\", got %r" % text)
    numbers = []
    for part in parts[:3]:
        if not part.isdigit() or int(part) > 255:
            raise ValueError("want \"USAGE SELECTOR MATCHING-TYPE HEX\", got %r" % text)
        numbers.append(int(part))
    hex_data = "".join(parts[3:])
    if len(hex_data) % 2:
        raise ValueError("odd number of hex digits in %r" % text)
    try:
        data = bytes.fromhex(hex_data)
    except ValueError:
        raise ValueError("bad hex in %r" % text) from None
    return tlsa(numbers[0], numbers[1], numbers[2], data)


def uniform_timeouts(milliseconds: Optional[int]) -> Optional[Record]:
    """`client.timeouts` with every deadline set to `milliseconds`; None: the defaults."""
    if milliseconds is None:
        return None
    ms = min(milliseconds, 2**32 - 1)
    return record(
        greeting_ms=ms,
        command_ms=ms,
        data_init_ms=ms,
        data_block_ms=ms,
        data_end_ms=ms,
        tls_handshake_ms=ms,
        quit_ms=ms,
    )


def recipient(address: str) -> Record:
    """`client.recipient` without DSN parameters. `notify` is an option of a variant with a
    unit case (`never`), so the option is tagged: `Variant("none")`."""
    return record(address=address, notify=Variant("none"), original_recipient=None)
