"""A resolver answering from a zone file instead of DNS (`--zone`), for tests and demos, with
host-example's format and semantics (host-example/src/dns/zone.rs):

- The file is an RFC 1035 §5 master file (parsed by dnspython): `$ORIGIN`, `$TTL`, relative
  names, `( … )`; A, AAAA, CNAME, MX (`.` is a null MX, RFC 7505), TXT (a record's strings
  concatenated), TLSA are answered.
- Comments whose first word starts with `@` are directives, names relative to the `$ORIGIN`
  in force; `<type>` is one of a, aaaa, ip (both), cname, mx, tlsa, txt:
  `; @insecure <name>` (answers at or below it are not authentic; all else is),
  `; @servfail <type> <name> [ede=<code>]`, `; @refused <type> <name>`,
  `; @timeout <type> <name>`.
- A lookup starts at the asked name; a directive for the type at the current name applies
  first; an alias is followed (at most 16 hops) except by `lookup_cname`, which returns its
  target; otherwise the records of the type, or not found. Authentic unless a name on the way
  is at or below an `@insecure` name.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Callable, Dict, Optional, Set, Tuple

import dns.exception
import dns.name
import dns.rdatatype
import dns.zone

from .resolver import MAX_CNAME_HOPS, absolute_name, Answer, LookupFailure, Mx, NotFound, Permanent, Temporary, Tlsa, merge_any

#: Directive types and the lookups they apply to.
_DIRECTIVE_TYPES = {
    "a": ("a",),
    "aaaa": ("aaaa",),
    "ip": ("a", "aaaa"),
    "cname": ("cname",),
    "mx": ("mx",),
    "tlsa": ("tlsa",),
    "txt": ("txt",),
}

_RDTYPES = {
    "a": dns.rdatatype.A,
    "aaaa": dns.rdatatype.AAAA,
    "cname": dns.rdatatype.CNAME,
    "mx": dns.rdatatype.MX,
    "tlsa": dns.rdatatype.TLSA,
    "txt": dns.rdatatype.TXT,
}


class ZoneError(ValueError):
    """The zone file does not parse; the message names the line."""


def _key(name: str) -> str:
    return name.lower().rstrip(".") + "."


class ZoneResolver:
    def __init__(self, text: str) -> None:
        try:
            # TTLs are optional here: a default first, which a `$TTL` of the file replaces.
            zone = dns.zone.from_text(
                "$TTL 300\n" + text, origin=dns.name.root, relativize=False, check_origin=False, filename="zone"
            )
        except (dns.exception.DNSException, ValueError) as exc:
            # dnspython says "zone:N: ..."; N counts the default line.
            message = re.sub(r"^zone:(\d+):", lambda m: "line %d:" % (int(m.group(1)) - 1), str(exc))
            raise ZoneError(message) from None
        self._nodes: Dict[str, Dict[int, list]] = {}
        for name, node in zone.nodes.items():
            self._nodes[_key(name.to_text())] = {rdataset.rdtype: list(rdataset) for rdataset in node.rdatasets}
        self._insecure: Set[str] = set()
        self._failures: Dict[Tuple[str, str], LookupFailure] = {}
        self._directives(text)

    @classmethod
    def from_file(cls, path: str) -> "ZoneResolver":
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise ZoneError("reading %s: %s" % (path, exc.strerror or exc)) from None
        return cls(text)

    def _directives(self, text: str) -> None:
        origin = dns.name.root
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split()
            if len(fields) >= 2 and fields[0].upper() == "$ORIGIN":
                origin = dns.name.from_text(fields[1], dns.name.root)
            comment = line.partition(";")[2].split()
            if not comment or not comment[0].startswith("@") or comment[0] == "@":
                continue
            word, args = comment[0][1:], comment[1:]

            def name(text: str) -> str:
                return _key(dns.name.from_text(text, origin).to_text())

            def bad(why: str) -> ZoneError:
                return ZoneError("line %d: %s: %r" % (number, why, line.strip()))

            if word == "insecure" and len(args) == 1:
                self._insecure.add(name(args[0]))
                continue
            if word not in ("servfail", "refused", "timeout") or len(args) < 2:
                raise bad("unknown directive")
            kinds = _DIRECTIVE_TYPES.get(args[0].lower())
            if kinds is None:
                raise bad("unknown type")
            owner = name(args[1])
            extended: Optional[int] = None
            for option in args[2:]:
                if word == "servfail" and option.startswith("ede=") and option[4:].isdigit():
                    extended = int(option[4:])
                else:
                    raise bad("unknown option")
            for kind in kinds:
                what = "%s %s" % (owner, kind.upper())
                if word == "servfail":
                    failure: LookupFailure = Temporary("server failure for %s (zone directive)" % what, extended)
                elif word == "refused":
                    failure = Permanent("query refused for %s (zone directive)" % what)
                else:
                    failure = Temporary("timeout for %s (zone directive)" % what)
                self._failures[(kind, owner)] = failure

    def _insecure_at(self, name: str) -> bool:
        return any(name == zone or name.endswith("." + zone) for zone in self._insecure)

    def _walk(self, name: str, kind: str) -> Tuple[Dict[int, list], bool]:
        current = _key(absolute_name(name).to_text())
        authentic = True
        for _ in range(MAX_CNAME_HOPS + 1):
            failure = self._failures.get((kind, current))
            if failure is not None:
                raise failure
            authentic = authentic and not self._insecure_at(current)
            node = self._nodes.get(current, {})
            alias = node.get(dns.rdatatype.CNAME)
            if alias and kind != "cname":
                current = _key(alias[0].target.to_text())
                continue
            return node, authentic
        raise Permanent("cname chain from %s longer than %d hops" % (name, MAX_CNAME_HOPS))

    def _records(self, name: str, kind: str, convert: Callable) -> Answer:
        node, authentic = self._walk(name, kind)
        records = [convert(rdata) for rdata in node.get(_RDTYPES[kind], [])]
        if not records:
            raise NotFound(authentic)
        return Answer(records, authentic)

    def lookup_cname(self, name: str) -> Answer[str]:
        return self._records(name, "cname", lambda rd: rd.target.to_text().lower())

    def lookup_mx(self, name: str) -> Answer[Mx]:
        return self._records(name, "mx", lambda rd: Mx(rd.preference, rd.exchange.to_text().lower()))

    def lookup_ip(self, name: str, family: str) -> Answer:
        def addresses(kind: str) -> "Answer | LookupFailure":
            try:
                return self._records(name, kind, lambda rd: ipaddress.ip_address(rd.address))
            except LookupFailure as exc:
                return exc

        if family == "ipv4":
            return self._records(name, "a", lambda rd: ipaddress.ip_address(rd.address))
        if family == "ipv6":
            return self._records(name, "aaaa", lambda rd: ipaddress.ip_address(rd.address))
        return merge_any(addresses("a"), addresses("aaaa"))

    def lookup_tlsa(self, port: int, protocol: str, host: str) -> Answer[Tlsa]:
        return self._records(
            "_%d._%s.%s" % (port, protocol, host),
            "tlsa",
            lambda rd: Tlsa(rd.usage, rd.selector, rd.mtype, bytes(rd.cert)),
        )

    def lookup_txt(self, name: str) -> Answer[bytes]:
        return self._records(name, "txt", lambda rd: b"".join(rd.strings))

