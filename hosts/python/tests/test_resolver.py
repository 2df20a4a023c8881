"""The `resolver` import against a scripted DNS server on 127.0.0.1 (UDP and TCP): the query
it sends (RD, AD, EDNS with DO), the AD bit only from a trusted resolver, each RCODE's class,
the extended error, CNAME chains, TCP after truncation, /etc/hosts first."""

import ipaddress
import socket
import struct
import threading
import time
import unittest
from typing import Callable, List, Optional, Tuple

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from smtpclient import resolver
from smtpclient.resolver import Answer, DnsResolver, HostsFile, Mx, NotFound, Permanent, Temporary, Tlsa

Handler = Callable[[dns.message.Message, str], Optional[dns.message.Message]]


class DnsServer:
    """Answers each query with `handler(query, transport)` (None: no answer) over UDP and TCP
    on one port of 127.0.0.1, and keeps the queries."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.queries: List[dns.message.Message] = []
        self.udp, self.tcp = self._bind_pair()
        self.port = self.udp.getsockname()[1]
        self.tcp.listen()
        self.closed = False
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True).start()

    @staticmethod
    def _bind_pair() -> Tuple[socket.socket, socket.socket]:
        """A UDP and a TCP socket on the same free port: the port the system gives UDP may be
        taken for TCP by another test running at the same time, so try again then."""
        for _ in range(100):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            tcp = socket.socket()
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind(("127.0.0.1", udp.getsockname()[1]))
                return udp, tcp
            except OSError:
                udp.close()
                tcp.close()
        raise OSError("no port free for both UDP and TCP")

    def _answer(self, wire: bytes, transport: str) -> Optional[bytes]:
        query = dns.message.from_wire(wire)
        self.queries.append(query)
        response = self.handler(query, transport)
        return response.to_wire() if response is not None else None

    def _serve_udp(self) -> None:
        while not self.closed:
            try:
                wire, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            answer = self._answer(wire, "udp")
            if answer is not None:
                self.udp.sendto(answer, peer)

    def _serve_tcp(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            with conn:
                length = struct.unpack("!H", conn.recv(2))[0]
                wire = b""
                while len(wire) < length:
                    wire += conn.recv(length - len(wire))
                answer = self._answer(wire, "tcp")
                if answer is not None:
                    conn.sendall(struct.pack("!H", len(answer)) + answer)

    def close(self) -> None:
        self.closed = True
        self.udp.close()
        self.tcp.close()


def response(
    query: dns.message.Message,
    rcode: int = dns.rcode.NOERROR,
    ad: bool = False,
    answers: List[str] = (),
) -> dns.message.Message:
    """A response to `query` with `answers` in zone-file form ("name ttl IN type data")."""
    message = dns.message.make_response(query)
    message.set_rcode(rcode)
    if ad:
        message.flags |= dns.flags.AD
    for text in answers:
        name, ttl, rdclass, rdtype, *data = text.split(None, 4)
        message.answer.append(dns.rrset.from_text(name, int(ttl), rdclass, rdtype, *data))
    return message


class ResolverTest(unittest.TestCase):
    def serve(self, handler: Handler, trusted: bool = True, hosts: str = "") -> DnsResolver:
        self.server = DnsServer(handler)
        self.addCleanup(self.server.close)
        return DnsResolver(ipaddress.ip_address("127.0.0.1"), self.server.port, trusted, 1.0, HostsFile(hosts))

    def answering(self, rcode=dns.rcode.NOERROR, ad=False, answers=(), trusted=True) -> DnsResolver:
        return self.serve(lambda q, _: response(q, rcode, ad, list(answers)), trusted)

    def test_query_has_rd_ad_and_edns_with_do_and_an_absolute_name(self) -> None:
        r = self.answering(ad=True, answers=["example.test. 60 IN MX 10 MX.Example.Test."])
        answer = r.lookup_mx("Example.TEST")
        self.assertEqual(answer, Answer([Mx(10, "mx.example.test.")], True))
        query = self.server.queries[0]
        self.assertTrue(query.flags & dns.flags.RD)
        self.assertTrue(query.flags & dns.flags.AD)
        self.assertEqual(query.edns, 0)
        self.assertTrue(query.ednsflags & dns.flags.DO)
        self.assertEqual(query.payload, resolver.UDP_PAYLOAD)
        # No search domain: exactly the name asked, made absolute.
        self.assertEqual([q.question[0].name.to_text().lower() for q in self.server.queries], ["example.test."])

    def test_untrusted_resolver_is_never_authentic(self) -> None:
        r = self.answering(ad=True, answers=["example.test. 60 IN MX 10 mx.example.test."], trusted=False)
        self.assertFalse(r.lookup_mx("example.test.").authentic)
        r = self.answering(rcode=dns.rcode.NXDOMAIN, ad=True, trusted=False)
        with self.assertRaises(NotFound) as caught:
            r.lookup_mx("example.test.")
        self.assertFalse(caught.exception.authentic)

    def test_nxdomain_and_nodata_are_not_found_with_the_ad_bit_of_the_denial(self) -> None:
        r = self.answering(rcode=dns.rcode.NXDOMAIN, ad=True)
        with self.assertRaises(NotFound) as caught:
            r.lookup_mx("none.example.test.")
        self.assertTrue(caught.exception.authentic)
        r = self.answering(ad=False, answers=["example.test. 60 IN A 192.0.2.1"])
        for lookup in (lambda: r.lookup_txt("example.test."), lambda: r.lookup_cname("example.test.")):
            with self.assertRaises(NotFound) as caught:
                lookup()
            self.assertFalse(caught.exception.authentic)

    def test_servfail_is_temporary_with_the_extended_error(self) -> None:
        def servfail(query, _):
            message = response(query, dns.rcode.SERVFAIL)
            message.use_edns(0, 0, 1232, options=[dns.edns.EDEOption(6, "signature expired")])
            return message

        r = self.serve(servfail)
        with self.assertRaises(Temporary) as caught:
            r.lookup_tlsa(25, "tcp", "mx.example.test.")
        self.assertEqual(caught.exception.extended_error, 6)
        self.assertIn("extended error 6: signature expired", caught.exception.message)
        self.assertEqual(self.server.queries[0].question[0].name.to_text(), "_25._tcp.mx.example.test.")
        r = self.answering(rcode=dns.rcode.SERVFAIL)
        with self.assertRaises(Temporary) as caught:
            r.lookup_mx("example.test.")
        self.assertIsNone(caught.exception.extended_error)

    def test_refused_formerr_notimp_are_permanent(self) -> None:
        for rcode in (dns.rcode.REFUSED, dns.rcode.FORMERR, dns.rcode.NOTIMP):
            r = self.answering(rcode=rcode)
            with self.assertRaises(Permanent) as caught:
                r.lookup_mx("example.test.")
            self.assertIn(dns.rcode.to_text(rcode).lower(), caught.exception.message)

    def test_no_answer_is_a_temporary_timeout(self) -> None:
        r = self.serve(lambda q, _: None)
        started = time.monotonic()
        with self.assertRaises(Temporary) as caught:
            r.lookup_mx("example.test.")
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertIn("timeout", caught.exception.message)

    def test_malformed_name_is_permanent(self) -> None:
        r = self.answering()
        with self.assertRaises(Permanent):
            r.lookup_mx("a" * 64 + ".example.test.")
        self.assertEqual(self.server.queries, [])

    def test_cname_chain_is_followed_and_lookup_cname_is_one_hop(self) -> None:
        r = self.answering(
            ad=True,
            answers=[
                "alias.example.test. 60 IN CNAME mid.example.test.",
                "mid.example.test. 60 IN CNAME mx.example.test.",
                "mx.example.test. 60 IN A 192.0.2.7",
                "other.example.test. 60 IN A 192.0.2.99",
            ],
        )
        self.assertEqual(r.lookup_ip("alias.example.test.", "ipv4"), Answer([ipaddress.ip_address("192.0.2.7")], True))
        self.assertEqual(r.lookup_cname("alias.example.test.").records, ["mid.example.test."])

    def test_cname_loop_is_permanent(self) -> None:
        r = self.answering(
            answers=["a.example.test. 60 IN CNAME b.example.test.", "b.example.test. 60 IN CNAME a.example.test."]
        )
        with self.assertRaises(Permanent):
            r.lookup_mx("a.example.test.")

    def test_truncated_answer_is_asked_again_over_tcp(self) -> None:
        def handler(query, transport):
            if transport == "udp":
                message = response(query)
                message.flags |= dns.flags.TC
                return message
            return response(query, ad=True, answers=['example.test. 60 IN TXT "v=STSv1; " "id=1"'])

        r = self.serve(handler)
        self.assertEqual(r.lookup_txt("example.test."), Answer([b"v=STSv1; id=1"], True))

    def test_tlsa_records(self) -> None:
        digest = bytes(range(32))
        r = self.answering(ad=True, answers=["_25._tcp.mx.example.test. 60 IN TLSA 3 1 1 " + digest.hex()])
        self.assertEqual(r.lookup_tlsa(25, "tcp", "mx.example.test."), Answer([Tlsa(3, 1, 1, digest)], True))

    def test_any_asks_both_families_ipv4_first(self) -> None:
        def handler(query, _):
            if query.question[0].rdtype == dns.rdatatype.A:
                return response(query, ad=True, answers=["mx.example.test. 60 IN A 192.0.2.1"])
            return response(query, ad=True, answers=["mx.example.test. 60 IN AAAA 2001:db8::1"])

        r = self.serve(handler)
        answer = r.lookup_ip("mx.example.test.", "any")
        self.assertEqual(answer.records, [ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("2001:db8::1")])
        self.assertTrue(answer.authentic)

    def test_hosts_file_first_and_never_authentic(self) -> None:
        r = self.serve(
            lambda q, _: response(q, ad=True, answers=["mx.example.test. 60 IN A 192.0.2.1"]),
            hosts="127.0.0.1 localhost\n::1 localhost ip6-localhost # comment\n10.0.0.5 MX.example.test\n",
        )
        self.assertEqual(
            r.lookup_ip("localhost", "any"),
            Answer([ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")], False),
        )
        self.assertEqual(r.lookup_ip("mx.example.test.", "ipv4"), Answer([ipaddress.ip_address("10.0.0.5")], False))
        # Only address lookups, and only of the family asked.
        self.assertEqual(r.lookup_ip("localhost.", "ipv6").records, [ipaddress.ip_address("::1")])
        self.assertEqual(self.server.queries, [])
        with self.assertRaises(NotFound):
            r.lookup_ip("mx.example.test.", "ipv6")
        self.assertEqual(self.server.queries[0].question[0].rdtype, dns.rdatatype.AAAA)


class MergeAnyTest(unittest.TestCase):
    def test_table(self) -> None:
        def ok(ip, authentic):
            return Answer([ipaddress.ip_address(ip)], authentic)

        temp = Temporary("servfail")
        cases = [
            (ok("192.0.2.1", True), ok("2001:db8::1", True), (2, True)),
            (ok("192.0.2.1", True), ok("2001:db8::1", False), (2, False)),
            (ok("192.0.2.1", True), NotFound(True), (1, True)),
            (NotFound(False), ok("2001:db8::1", True), (1, False)),
            (ok("192.0.2.1", True), temp, (1, False)),
            (NotFound(True), NotFound(True), NotFound(True)),
            (NotFound(True), NotFound(False), NotFound(False)),
            (NotFound(True), temp, temp),
            (temp, NotFound(True), temp),
        ]
        for v4, v6, want in cases:
            if isinstance(want, tuple):
                got = resolver.merge_any(v4, v6)
                self.assertEqual((len(got.records), got.authentic), want)
            else:
                with self.assertRaises(type(want)) as caught:
                    resolver.merge_any(v4, v6)
                if isinstance(want, NotFound):
                    self.assertEqual(caught.exception.authentic, want.authentic)
                else:
                    self.assertIs(caught.exception, want)


class ConfigurationTest(unittest.TestCase):
    def test_server_forms(self) -> None:
        ip = ipaddress.ip_address
        self.assertEqual(resolver.parse_server("127.0.0.1"), (ip("127.0.0.1"), 53))
        self.assertEqual(resolver.parse_server("127.0.0.1:5353"), (ip("127.0.0.1"), 5353))
        self.assertEqual(resolver.parse_server("[::1]:5353"), (ip("::1"), 5353))
        self.assertEqual(resolver.parse_server("::1"), (ip("::1"), 53))
        for bad in ("resolver.example", "127.0.0.1:x", "127.0.0.1:70000", ""):
            with self.assertRaises(ValueError):
                resolver.parse_server(bad)

    def test_first_nameserver_and_trust(self) -> None:
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
            conf.write("search corp.example\nnameserver 192.0.2.53\nnameserver 127.0.0.1\n")
            conf.flush()
            self.assertEqual(resolver.nameserver_from_resolv_conf(conf.name), ipaddress.ip_address("192.0.2.53"))
        self.assertTrue(DnsResolver.named("192.0.2.53").trusted)
        self.assertFalse(DnsResolver(ipaddress.ip_address("192.0.2.53")).trusted)


if __name__ == "__main__":
    unittest.main()
