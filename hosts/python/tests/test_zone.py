"""The `--zone` resolver: host-example's zone file format and lookup semantics."""

import tempfile
import unittest

from smtpclient.resolver import Answer, Mx, NotFound, Permanent, Temporary, Tlsa
from smtpclient.zone import ZoneError, ZoneResolver

ZONE = """\
$ORIGIN example.test.
$TTL 300
@             IN MX   10 mx1
              IN MX   20 mx2.example.test.
              IN TXT  "v=spf1 " "-all"
mx1           IN A    192.0.2.10
                 AAAA 2001:db8::10
_25._tcp.mx1  IN TLSA 3 1 1 ( 8d02536c887482bc34ff54e41d2ba659
                              bf85b341a0a20afadb5813dcfbcf286d )
mx2           IN CNAME mx1
v6only        AAAA 2001:db8::6
null          IN MX   0 .
legacy        IN MX   10 mx1
alias-legacy  CNAME legacy.example.test.
legacy-alias  CNAME legacy2
legacy2       MX 10 mx1
loop1         CNAME loop2
loop2         CNAME loop1
broken-alias  CNAME broken
; @insecure legacy
; @insecure legacy-alias
; @servfail mx broken
; @servfail tlsa _25._tcp.mx1 ede=6
; @timeout ip slow
; @refused txt refused
; @servfail a half
half          A 192.0.2.50
              AAAA 2001:db8::50
"""


def ips(answer):
    return ([str(ip) for ip in answer.records], answer.authentic)


class ZoneTest(unittest.TestCase):
    def setUp(self) -> None:
        self.zone = ZoneResolver(ZONE)

    def test_mx_in_file_order_and_null_mx(self) -> None:
        self.assertEqual(
            self.zone.lookup_mx("Example.Test"),
            Answer([Mx(10, "mx1.example.test."), Mx(20, "mx2.example.test.")], True),
        )
        self.assertEqual(self.zone.lookup_mx("null.example.test.").records, [Mx(0, ".")])

    def test_addresses_by_family(self) -> None:
        both = ["192.0.2.10", "2001:db8::10"]
        self.assertEqual(ips(self.zone.lookup_ip("mx1.example.test", "any")), (both, True))
        self.assertEqual(ips(self.zone.lookup_ip("mx1.example.test", "ipv4")), (both[:1], True))
        self.assertEqual(ips(self.zone.lookup_ip("mx2.example.test", "any")), (both, True))
        self.assertEqual(ips(self.zone.lookup_ip("v6only.example.test", "any")), (["2001:db8::6"], True))
        for name, family in [("v6only.example.test", "ipv4"), ("nowhere.example.test", "any")]:
            with self.assertRaises(NotFound) as caught:
                self.zone.lookup_ip(name, family)
            self.assertTrue(caught.exception.authentic)
        # `@servfail a half`: the AAAA half still answers, not authentic.
        self.assertEqual(ips(self.zone.lookup_ip("half.example.test", "any")), (["2001:db8::50"], False))

    def test_cname_is_one_hop_and_loops_are_capped(self) -> None:
        self.assertEqual(self.zone.lookup_cname("mx2.example.test"), Answer(["mx1.example.test."], True))
        self.assertEqual(self.zone.lookup_cname("loop1.example.test").records, ["loop2.example.test."])
        with self.assertRaises(NotFound):
            self.zone.lookup_cname("mx1.example.test")
        with self.assertRaises(Permanent):
            self.zone.lookup_mx("loop1.example.test")

    def test_tlsa_and_txt(self) -> None:
        with self.assertRaises(Temporary) as caught:
            self.zone.lookup_tlsa(25, "tcp", "mx1.example.test")
        self.assertEqual(caught.exception.extended_error, 6)
        digest = bytes.fromhex("8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d")
        tlsa = ZoneResolver("_25._tcp.mx.example. TLSA 3 1 1 ( %s\n %s )\n" % (digest[:16].hex(), digest[16:].hex()))
        self.assertEqual(tlsa.lookup_tlsa(25, "tcp", "mx.example."), Answer([Tlsa(3, 1, 1, digest)], True))
        with self.assertRaises(NotFound):
            self.zone.lookup_tlsa(25, "tcp", "mx2.example.test")
        self.assertEqual(self.zone.lookup_txt("example.test").records, [b"v=spf1 -all"])

    def test_insecure_names_and_aliases(self) -> None:
        self.assertFalse(self.zone.lookup_mx("legacy.example.test").authentic)
        with self.assertRaises(NotFound) as caught:
            self.zone.lookup_mx("sub.legacy.example.test")
        self.assertFalse(caught.exception.authentic)
        self.assertFalse(self.zone.lookup_mx("alias-legacy.example.test").authentic)
        self.assertFalse(self.zone.lookup_mx("legacy-alias.example.test").authentic)
        self.assertFalse(self.zone.lookup_cname("legacy-alias.example.test").authentic)
        self.assertTrue(self.zone.lookup_mx("legacy2.example.test").authentic)

    def test_failure_directives(self) -> None:
        with self.assertRaises(Temporary) as caught:
            self.zone.lookup_mx("broken.example.test")
        self.assertIsNone(caught.exception.extended_error)
        with self.assertRaises(Temporary):
            self.zone.lookup_mx("broken-alias.example.test")
        with self.assertRaises(NotFound):
            self.zone.lookup_txt("broken.example.test")
        with self.assertRaises(Temporary) as caught:
            self.zone.lookup_ip("slow.example.test", "any")
        self.assertTrue(caught.exception.message.startswith("timeout"), caught.exception.message)
        with self.assertRaises(Permanent):
            self.zone.lookup_txt("refused.example.test")

    def test_bad_names_and_files(self) -> None:
        with self.assertRaises(Permanent):
            self.zone.lookup_mx("a" * 64 + ".example.test")
        with self.assertRaises(ZoneError):
            ZoneResolver.from_file("/nonexistent/zone")
        for bad in ["; @bogus mx x\n", "; @servfail qq x\n", "example.test. IN BOGUS x\n"]:
            with self.assertRaises(ZoneError, msg=bad):
                ZoneResolver("$ORIGIN example.test.\n" + bad)

    def test_from_file(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".zone") as f:
            f.write(ZONE)
            f.flush()
            self.assertEqual(len(ZoneResolver.from_file(f.name).lookup_mx("example.test").records), 2)


if __name__ == "__main__":
    unittest.main()
