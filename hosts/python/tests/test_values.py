"""WIT values as the wheel wants them, messages of the spool, and the report's JSON and exit
codes (host-example's)."""

import ipaddress
import json
import os
import tempfile
import socket
import unittest
from unittest import mock

from wasmtime.component import Record, Variant

from smtpclient import split_server
from smtpclient.errors import MessageUnavailable, Reply, UsageError
from smtpclient.report import ErrorReport, RecipientReport, Report
from smtpclient.spool import BytesMessage, FileMessage
from smtpclient.sts_cache import StsCache
from smtpclient.values import (
    domain,
    field,
    ip_address,
    ip_domain_text,
    ip_from_wit,
    machine_name,
    next_hop,
    parse_tlsa,
    record,
    recipient,
    tlsa_text,
)


class ValuesTest(unittest.TestCase):
    def test_records_carry_the_wit_field_names(self) -> None:
        value = record(tls_mode="skip", verify_pkix=True)
        self.assertIsInstance(value, Record)
        self.assertEqual(getattr(value, "tls-mode"), "skip")
        self.assertTrue(field(value, "verify_pkix"))

    def test_ip_addresses_round_trip(self) -> None:
        for text, tag, payload in [
            ("192.0.2.1", "ipv4", (192, 0, 2, 1)),
            ("2001:db8::1", "ipv6", (0x2001, 0xDB8, 0, 0, 0, 0, 0, 1)),
        ]:
            ip = ipaddress.ip_address(text)
            value = ip_address(ip)
            self.assertEqual((value.tag, value.payload), (tag, payload))
            self.assertEqual(ip_from_wit(value), ip)

    def test_domains_and_next_hops(self) -> None:
        self.assertEqual(vars(domain("MX.Example.ORG.")), {"ascii": "mx.example.org", "unicode": None})
        self.assertEqual(vars(domain("exämple.test")), {"ascii": "xn--exmple-cua.test", "unicode": "exämple.test"})
        self.assertIsInstance(next_hop("example.org"), Record)
        self.assertEqual(next_hop("[192.0.2.1]"), Variant("ipv4", (192, 0, 2, 1)))
        self.assertEqual(next_hop("[IPv6:2001:db8::1]").tag, "ipv6")
        self.assertEqual(ip_domain_text(next_hop("[192.0.2.1]")), "192.0.2.1")
        self.assertEqual(ip_domain_text(domain("exämple.test")), "exämple.test")

    def test_tlsa_forms(self) -> None:
        value = parse_tlsa("3 1 1 0A0b")
        self.assertEqual((field(value, "usage"), field(value, "data")), (3, b"\x0a\x0b"))
        self.assertEqual(tlsa_text(parse_tlsa("2 0 1  ab cd")), "2 0 1 abcd")
        for bad in ["3 1 1", "3 1 1 abc", "3 1 x ab", "3 1 1 zz", "é 1 1 ab", "256 1 1 ab"]:
            with self.assertRaises(ValueError, msg=bad):
                parse_tlsa(bad)

    def test_recipient_notify_is_a_tagged_option(self) -> None:
        self.assertEqual(field(recipient("a@example.org"), "notify"), Variant("none"))

    def test_machine_name_prefers_the_fully_qualified_name(self) -> None:
        cases = [
            ("mx1", "mx1.example.org.", "mx1.example.org"),
            ("MX1", "localhost.localdomain", "mx1"),
            ("mx1", None, "mx1"),
            ("localhost", None, "localhost"),
            ("", None, "localhost"),
        ]
        for hostname, canonical, want in cases:
            def getaddrinfo(*_args, **_kwargs):
                if canonical is None:
                    raise socket.gaierror("no address")
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, canonical, ("192.0.2.1", 0))]

            with mock.patch.object(socket, "gethostname", return_value=hostname), \
                    mock.patch.object(socket, "getaddrinfo", getaddrinfo):
                self.assertEqual(machine_name(), want, (hostname, canonical))

    def test_server_forms(self) -> None:
        self.assertEqual(split_server("127.0.0.1:2525", 587), ("127.0.0.1", 2525))
        self.assertEqual(split_server("[::1]:25", 587), ("::1", 25))
        self.assertEqual(split_server("::1", 587), ("::1", 587))
        self.assertEqual(split_server("mail.example.org", 587), ("mail.example.org", 587))
        self.assertEqual(split_server("mail.example.org:465", 587), ("mail.example.org", 465))
        for bad in ["mail.example.org:x", "", "[::1]x"]:
            with self.assertRaises(UsageError, msg=bad):
                split_server(bad, 587)


class SpoolTest(unittest.TestCase):
    def test_bytes(self) -> None:
        message = BytesMessage(b"0123456789")
        self.assertEqual(message.size(), 10)
        self.assertEqual(message.read(0, 4), b"0123")
        self.assertEqual(message.read(8, 4), b"89")
        self.assertEqual(message.read(10, 4), b"")

    def test_file_read_again_from_zero_and_removed(self) -> None:
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(b"abcdef")
        message = FileMessage(f.name)
        self.assertEqual(message.size(), 6)
        self.assertEqual(message.read(2, 100), b"cdef")
        self.assertEqual(message.read(0, 3), b"abc")
        os.unlink(f.name)
        with self.assertRaises(OSError):
            message.read(0, 3)

    def test_missing_file(self) -> None:
        with self.assertRaises(MessageUnavailable) as caught:
            FileMessage("/nonexistent/message.eml")
        self.assertEqual((caught.exception.exit_code, caught.exception.kind), (66, "usage"))
        self.assertIn("/nonexistent/message.eml", str(caught.exception))


class ReportTest(unittest.TestCase):
    def test_failed_report_json_is_host_examples(self) -> None:
        error = ErrorReport("status", True, "refused", Reply(554, "5.7.1", ["554 5.7.1 go away"]), "greeting")
        report = Report.failed(["b@example.net"], error)
        self.assertEqual(
            json.loads(report.dumps()),
            {
                "status": "permanent",
                "recipients": [
                    {
                        "address": "b@example.net",
                        "status": "permanent",
                        "code": 554,
                        "enhanced": "5.7.1",
                        "lines": ["554 5.7.1 go away"],
                    }
                ],
                "error": {
                    "kind": "status",
                    "permanent": True,
                    "code": 554,
                    "enhanced": "5.7.1",
                    "command": "greeting",
                    "lines": ["554 5.7.1 go away"],
                    "message": "refused",
                },
                "server": None,
                "tls": None,
                "tlsrpt": [],
                "attempts": [],
            },
        )
        self.assertEqual(report.exit_code(), 69)

    def test_status_and_exit_codes(self) -> None:
        def r(*statuses):
            return [RecipientReport("a%d@example.org" % i, s) for i, s in enumerate(statuses)]

        self.assertEqual(Report.status_of(r("delivered", "delivered")), "delivered")
        self.assertEqual(Report.status_of(r("delivered", "permanent")), "partial")
        self.assertEqual(Report.status_of(r("permanent", "temporary")), "temporary")
        self.assertEqual(Report.status_of(r("permanent")), "permanent")
        self.assertEqual(Report("delivered", r("delivered")).exit_code(), 0)
        self.assertEqual(Report("partial", r("delivered", "temporary")).exit_code(), 75)
        self.assertEqual(Report("partial", r("delivered", "permanent")).exit_code(), 69)
        message_error = ErrorReport("message", True, "bare lf")
        self.assertEqual(Report("permanent", r("permanent"), message_error).exit_code(), 65)


class StsCacheTest(unittest.TestCase):
    def test_round_trip_and_names_cannot_escape(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            cache = StsCache(directory)
            self.assertIsNone(cache.get("example.org"))
            cache.put("example.org", record(id="20260101", text="version: STSv1\n", fetched_at=1_800_000_000))
            back = cache.get("example.org")
            self.assertEqual(vars(back), {"id": "20260101", "text": "version: STSv1\n", "fetched-at": 1_800_000_000})
            with open(os.path.join(directory, "example.org.json")) as f:
                self.assertEqual(json.load(f)["fetched_at"], 1_800_000_000)
            for bad in ["../etc/passwd", "..", ".hidden", "a/b"]:
                cache.put(bad, record(id="x", text="x", fetched_at=0))
                self.assertIsNone(cache.get(bad))
            self.assertEqual(sorted(os.listdir(directory)), ["example.org.json"])


if __name__ == "__main__":
    unittest.main()
