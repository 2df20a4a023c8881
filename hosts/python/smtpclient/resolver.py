"""The `resolver` import with dnspython: lookups through one recursive resolver with the DO
bit, and the AD bit believed only from a resolver the host trusts (`wit/resolver.wit`).

- Queries are recursive (RD) with EDNS(0) (RFC 6891): a 1232-byte payload, the DO bit
  (RFC 3225 §3) and the AD bit (RFC 6840 §5.7), so a validating resolver says whether it
  validated. Over UDP, then TCP when the answer is truncated (RFC 7766 §5).
- `authentic` is the AD bit only when the path to the resolver can be trusted (RFC 6698
  §4.1, RFC 6840 §5.8): a loopback address, or a resolver the caller named.
- Names are absolute: a trailing dot is added when missing, no search domain is ever applied.
- Address lookups consult /etc/hosts first, as the system resolver does; such answers are not
  authentic.
- NXDOMAIN and NODATA are `NotFound` (authentic from the AD bit of the denial, RFC 4035
  §5.4); SERVFAIL and timeouts `Temporary` with the RFC 8914 extended error code when the
  resolver sent one; REFUSED, FORMERR, NOTIMP and malformed names `Permanent`.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Dict, Generic, List, Optional, Tuple, TypeVar

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from .values import IpAddress

#: RFC 6891 §6.2.5 and the DNS Flag Day 2020 recommendation: no IP fragmentation.
UDP_PAYLOAD = 1232
#: How long one lookup may take, TCP retry included.
DEFAULT_TIMEOUT = 5.0
#: A resolver sends the whole CNAME chain; more hops than this is a loop.
MAX_CNAME_HOPS = 16
#: The system's files.
SYSTEM_RESOLV_CONF = "/etc/resolv.conf"
SYSTEM_HOSTS = "/etc/hosts"

T = TypeVar("T")


@dataclass(frozen=True)
class Answer(Generic[T]):
    records: List[T]
    authentic: bool


@dataclass(frozen=True)
class Mx:
    preference: int
    #: A lowercase FQDN with its trailing dot; "." for a null MX (RFC 7505).
    exchange: str


@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    matching_type: int
    data: bytes


class LookupFailure(Exception):
    """A failed lookup: one of the three cases of `lookup-error`."""


class NotFound(LookupFailure):
    """NXDOMAIN or NODATA; `authentic` when the denial validated."""

    def __init__(self, authentic: bool) -> None:
        super().__init__("not found (authentic)" if authentic else "not found")
        self.authentic = authentic


class Temporary(LookupFailure):
    """SERVFAIL, a timeout, a network error; `extended_error` is the RFC 8914 INFO-CODE."""

    def __init__(self, message: str, extended_error: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.extended_error = extended_error


class Permanent(LookupFailure):
    """REFUSED, FORMERR, NOTIMP, a malformed name or answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def absolute_name(name: str) -> dns.name.Name:
    """`name` as an absolute DNS name; `Permanent` when it is not a valid one."""
    text = name if name.endswith(".") else name + "."
    try:
        return dns.name.from_text(text)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise Permanent("invalid name %r: %s" % (name, exc)) from None


class HostsFile:
    """Static addresses from a hosts(5) file; names kept as lowercase FQDNs."""

    def __init__(self, text: str = "") -> None:
        self._addresses: Dict[str, List[IpAddress]] = {}
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            try:
                # A zone (fe80::1%eth0) cannot be part of an answer.
                ip = ipaddress.ip_address(fields[0].split("%", 1)[0])
            except ValueError:
                continue
            for name in fields[1:]:
                key = name.lower().rstrip(".") + "."
                addresses = self._addresses.setdefault(key, [])
                if ip not in addresses:
                    addresses.append(ip)

    @classmethod
    def from_file(cls, path: str = SYSTEM_HOSTS) -> "HostsFile":
        """The file's table; an unreadable file is an empty one, as for the system resolver."""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return cls(f.read())
        except OSError:
            return cls()

    def lookup(self, name: str, family: str) -> List[IpAddress]:
        """The addresses of `name` of `family` ("any", "ipv4", "ipv6")."""
        key = name.lower().rstrip(".") + "."
        return [ip for ip in self._addresses.get(key, []) if _of_family(ip, family)]


def _of_family(ip: IpAddress, family: str) -> bool:
    return family == "any" or (family == "ipv4") == (ip.version == 4)


def nameserver_from_resolv_conf(path: str = SYSTEM_RESOLV_CONF) -> IpAddress:
    """The first usable `nameserver` of resolv.conf(5); `search`, `domain` and `options` are
    ignored: names are always absolute here."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as exc:
        raise Permanent("reading %s: %s" % (path, exc)) from None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            try:
                return ipaddress.ip_address(fields[1].split("%", 1)[0])
            except ValueError:
                continue
    raise Permanent("no usable nameserver line in %s" % path)


class DnsResolver:
    """A stub resolver asking one recursive resolver.

    `trusted` says whether its AD bit is believed: True for a loopback address or a resolver
    the caller named, False otherwise (then nothing is ever authentic).
    """

    def __init__(
        self,
        server: IpAddress,
        port: int = 53,
        trusted: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        hosts: Optional[HostsFile] = None,
    ) -> None:
        self.server = server
        self.port = port
        self.trusted = trusted
        self.timeout = timeout
        self.hosts = hosts if hosts is not None else HostsFile()

    @classmethod
    def from_system(cls, timeout: float = DEFAULT_TIMEOUT) -> "DnsResolver":
        """The first nameserver of /etc/resolv.conf, trusted only if it is a loopback address,
        with /etc/hosts."""
        server = nameserver_from_resolv_conf()
        return cls(server, 53, server.is_loopback, timeout, HostsFile.from_file())

    @classmethod
    def named(cls, text: str, timeout: float = DEFAULT_TIMEOUT) -> "DnsResolver":
        """A resolver the caller named, "IP", "IP:PORT" or "[IPv6]:PORT": trusted, with
        /etc/hosts."""
        server, port = parse_server(text)
        return cls(server, port, True, timeout, HostsFile.from_file())

    def lookup_cname(self, name: str) -> Answer[str]:
        """The CNAME target of `name` itself (one hop)."""
        return self._query(name, dns.rdatatype.CNAME, lambda rd: _fqdn(rd.target))

    def lookup_mx(self, name: str) -> Answer[Mx]:
        return self._query(name, dns.rdatatype.MX, lambda rd: Mx(rd.preference, _fqdn(rd.exchange)))

    def lookup_ip(self, name: str, family: str) -> Answer[IpAddress]:
        """A and/or AAAA records, after /etc/hosts; for "any" IPv4 addresses come first."""
        static = self.hosts.lookup(name, family)
        if static:
            return Answer(static, False)
        if family == "ipv4":
            return self._addresses(name, dns.rdatatype.A)
        if family == "ipv6":
            return self._addresses(name, dns.rdatatype.AAAA)
        return merge_any(self._try(name, dns.rdatatype.A), self._try(name, dns.rdatatype.AAAA))

    def lookup_tlsa(self, port: int, protocol: str, host: str) -> Answer[Tlsa]:
        name = "_%d._%s.%s" % (port, protocol, host)
        return self._query(
            name,
            dns.rdatatype.TLSA,
            lambda rd: Tlsa(rd.usage, rd.selector, rd.mtype, bytes(rd.cert)),
        )

    def lookup_txt(self, name: str) -> Answer[bytes]:
        """Each record's character-strings concatenated."""
        return self._query(name, dns.rdatatype.TXT, lambda rd: b"".join(rd.strings))

    def _addresses(self, name: str, rdtype: dns.rdatatype.RdataType) -> Answer[IpAddress]:
        return self._query(name, rdtype, lambda rd: ipaddress.ip_address(rd.address))

    def _try(self, name: str, rdtype: dns.rdatatype.RdataType) -> "Answer[IpAddress] | LookupFailure":
        try:
            return self._addresses(name, rdtype)
        except LookupFailure as exc:
            return exc

    def _query(self, name: str, rdtype: dns.rdatatype.RdataType, convert) -> Answer:
        qname = absolute_name(name)
        response = self._exchange(qname, rdtype)
        # RFC 4035 §3.2.3, RFC 6840 §5.8: the AD bit is only as good as the path to the
        # resolver that set it.
        authentic = self.trusted and bool(response.flags & dns.flags.AD)
        rcode = response.rcode()
        what = "%s %s" % (qname, dns.rdatatype.to_text(rdtype))
        if rcode == dns.rcode.NXDOMAIN:
            # RFC 2308 §2.1: the name does not exist.
            raise NotFound(authentic)
        if rcode == dns.rcode.SERVFAIL:
            # RFC 8914 §2: the INFO-CODE says why.
            code, text = extended_error(response)
            detail = " (extended error %d%s)" % (code, ": " + text if text else "") if code is not None else ""
            raise Temporary(
                "servfail from %s for %s%s" % (self.server, what, detail), code
            )
        if rcode != dns.rcode.NOERROR:
            raise Permanent("%s from %s for %s" % (dns.rcode.to_text(rcode).lower(), self.server, what))
        records = [convert(rd) for rd in follow_chain(response, qname, rdtype)]
        if not records:
            # RFC 2308 §2.2: NODATA.
            raise NotFound(authentic)
        return Answer(records, authentic)

    def _exchange(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
        query = dns.message.make_query(
            qname,
            rdtype,
            use_edns=0,
            want_dnssec=True,
            payload=UDP_PAYLOAD,
            flags=dns.flags.RD | dns.flags.AD,
        )
        where = str(self.server)
        deadline = time.monotonic() + self.timeout
        what = "%s %s" % (qname, dns.rdatatype.to_text(rdtype))
        try:
            response = dns.query.udp(query, where, timeout=self.timeout, port=self.port, ignore_unexpected=True)
            if response.flags & dns.flags.TC:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise dns.exception.Timeout()
                response = dns.query.tcp(query, where, timeout=remaining, port=self.port)
        except dns.exception.Timeout:
            raise Temporary("timeout after %g s asking %s for %s" % (self.timeout, self.server, what)) from None
        except OSError as exc:
            raise Temporary("asking %s for %s: %s" % (self.server, what, exc)) from None
        except dns.exception.DNSException as exc:
            raise Permanent("malformed answer from %s for %s: %s" % (self.server, what, exc)) from None
        return response


def follow_chain(
    response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> list:
    """The records of `rdtype` in the answer section at the end of the CNAME chain from
    `qname` (RFC 1034 §4.3.2 step 3.a: the resolver includes the chain)."""
    name = qname
    for _ in range(MAX_CNAME_HOPS + 1):
        found = [rd for rrset in response.answer if rrset.rdtype == rdtype and rrset.name == name for rd in rrset]
        if found or rdtype == dns.rdatatype.CNAME:
            return found
        targets = [
            rd.target for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME and rrset.name == name for rd in rrset
        ]
        if not targets:
            return []
        name = targets[0]
    raise Permanent("cname chain for %s longer than %d hops" % (qname, MAX_CNAME_HOPS))


def extended_error(response: dns.message.Message) -> Tuple[Optional[int], str]:
    """The first Extended DNS Error (RFC 8914 §2) of a response: INFO-CODE and EXTRA-TEXT."""
    for option in response.options:
        if isinstance(option, dns.edns.EDEOption):
            return int(option.code), (option.text or "").strip()[:200]
    return None, ""


def merge_any(v4: "Answer[IpAddress] | LookupFailure", v6: "Answer[IpAddress] | LookupFailure") -> Answer[IpAddress]:
    """Both halves of an "any" lookup: the addresses of either, authentic only when both
    halves were (an answer or a validated denial); not found only when both are."""

    def authentic(half: "Answer[IpAddress] | LookupFailure") -> bool:
        if isinstance(half, Answer):
            return half.authentic
        return isinstance(half, NotFound) and half.authentic

    both = authentic(v4) and authentic(v6)
    answers = [half for half in (v4, v6) if isinstance(half, Answer)]
    if answers:
        return Answer([ip for answer in answers for ip in answer.records], both)
    if isinstance(v4, NotFound) and isinstance(v6, NotFound):
        raise NotFound(both)
    raise v6 if isinstance(v4, NotFound) else v4


def parse_server(text: str) -> Tuple[IpAddress, int]:
    """"IP", "IP:PORT", "[IPv6]:PORT" or "IPv6" (port 53 by default); ValueError otherwise."""
    try:
        return ipaddress.ip_address(text.strip("[]")), 53
    except ValueError:
        pass
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and int(port) < 65536:
        try:
            return ipaddress.ip_address(host.strip("[]")), int(port)
        except ValueError:
            pass
    raise ValueError("want IP[:PORT], got %r" % text)


def _fqdn(name: dns.name.Name) -> str:
    """A name in answers: lowercase, with the trailing dot."""
    return name.to_text().lower()
