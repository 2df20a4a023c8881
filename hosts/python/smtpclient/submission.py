"""Submission (RFC 6409) through the component's `client` interface: connect with the `tcp`
import's code, `client.open-session` (`open_session`, a `Session`), `session.deliver` per
message (`Session.send`), `session.close`. `run` is all of it for one message."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field as dataclass_field
from typing import List, Optional, Sequence

from wasmtime.component import ResourceAny, Variant

from . import resolver as dns
from . import tcp
from .component import Imports, Instance, Runtime
from .errors import NotDelivered
from .report import (
    DELIVERED,
    PERMANENT,
    TEMPORARY,
    AttemptReport,
    ErrorReport,
    Report,
    ServerReport,
    TlsReport,
    recipient_result,
)
from .spool import Message, message_from
from .values import IpAddress, domain, field, machine_name, recipient, record, uniform_timeouts

#: The connect timeout when none is given (RFC 5321 §4.5.3.2 has none; 30 s as MTAs use).
CONNECT_TIMEOUT_MS = 30_000

#: The SASL mechanisms of the contract (`client.sasl-mechanism`), by their IANA names.
SASL_MECHANISMS = {
    "SCRAM-SHA-256-PLUS": "scram-sha-256-plus",
    "SCRAM-SHA-256": "scram-sha-256",
    "SCRAM-SHA-1-PLUS": "scram-sha-1-plus",
    "SCRAM-SHA-1": "scram-sha-1",
    "CRAM-MD5": "cram-md5",
    "PLAIN": "plain",
    "LOGIN": "login",
    "XOAUTH2": "xoauth2",
    "OAUTHBEARER": "oauthbearer",
}


@dataclass
class Auth:
    """Credentials for AUTH (RFC 4954). `repr` never shows the secret."""

    username: str
    secret: str = dataclass_field(repr=False)
    #: IANA names, most preferred first; empty: the strongest the server offers.
    mechanisms: Sequence[str] = ()


@dataclass
class ConnectRequest:
    """How to reach and open the session; the fields are the command line's `send` flags."""

    server: str
    port: int
    tls_mode: str = "required-starttls"
    verify_pkix: bool = True
    ehlo: Optional[str] = None
    timeout_ms: Optional[int] = None
    extra_root_cas: List[bytes] = dataclass_field(default_factory=list)
    dane_records: Optional[list] = None
    auth: Optional[Auth] = None
    client_certificate: Optional[tuple] = None


@dataclass
class Transaction:
    """One message and its envelope."""

    mail_from: str
    to: List[str]
    message: Message
    require_8bitmime: bool = False
    require_smtputf8: bool = False
    require_tls: bool = False
    normalize: bool = False


def sasl_mechanism(name: str) -> str:
    """The contract's case for an IANA mechanism name; ValueError for one it lacks."""
    try:
        return SASL_MECHANISMS[name.strip().upper()]
    except KeyError:
        raise ValueError("unknown SASL mechanism %r (known: %s)" % (name, ", ".join(SASL_MECHANISMS))) from None


def run(runtime: Runtime, resolver: object, request: ConnectRequest, transaction: Transaction) -> Report:
    """Submit one message and report what happened to each recipient. Network and SMTP
    failures are in the report; a trap raises `ComponentError`."""
    opened = open_session(runtime, resolver, request, transaction.to)
    if isinstance(opened, Report):
        return opened
    with opened as session:
        return session.transaction(transaction)


def open_session(
    runtime: Runtime, resolver: object, request: ConnectRequest, recipients: Sequence[str] = ()
) -> "Session | Report":
    """Connect to the first address of the server that answers (with the `tcp` import's
    code) and open the session: a `Session`, or the `Report` of the failure, in which
    `recipients` share its fate."""
    to = list(recipients)
    try:
        addresses = _addresses(resolver, request.server)
    except dns.LookupFailure as error:
        permanent = not isinstance(error, dns.Temporary)
        message = "looking up %s: %s" % (request.server, error)
        return _with_server(Report.failed(to, ErrorReport("dns", permanent, message)), request, [])
    connect_ms = request.timeout_ms if request.timeout_ms is not None else CONNECT_TIMEOUT_MS
    attempts: List[AttemptReport] = []
    for ip in addresses:
        try:
            conn = tcp.connect(ip, request.port, None, connect_ms)
        except tcp.TcpError as error:
            message = "connecting to %s: %s" % (_endpoint(ip, request.port), error)
            attempts.append(AttemptReport(request.server, str(ip), request.port, ErrorReport("io", False, message)))
            continue
        imports = Imports(resolver)
        instance = runtime.instantiate(imports)
        try:
            opened = instance.call("client", "open-session", imports.connection(conn), _open_options(request))
            if isinstance(opened, ResourceAny):
                return Session(instance, opened, request, str(ip), attempts)
            # result<session, open-failure>: untagged, the failure is a record.
            error = ErrorReport.of(field(opened, "error"))
            report = Report.failed(to, error)
            report.tlsrpt = tlsrpt_json(instance, field(opened, "tls_results"))
        except BaseException:
            imports.close()
            raise
        imports.close()
        attempts.append(AttemptReport(request.server, str(ip), request.port, error))
        report.attempts = attempts
        report = _with_server(report, request, [])
        assert report.server is not None
        report.server.ip = str(ip)
        return report
    last = attempts[-1].error if attempts else None
    report = Report.failed(to, last or ErrorReport("io", False, "no address to connect to"))
    report.attempts = attempts
    return _with_server(report, request, [])


class Session:
    """An open session (greeting, EHLO, TLS and AUTH done) on one connection: messages go
    one after the other (`send`), each a transaction; `close` sends QUIT. A context manager."""

    def __init__(
        self, instance: Instance, handle: ResourceAny, request: ConnectRequest, ip: str, attempts: List[AttemptReport]
    ) -> None:
        self._instance = instance
        self._handle: Optional[ResourceAny] = handle
        self._request = request
        self._ip = ip
        self._attempts = attempts
        try:
            state = self._call("tls-state")
            self.tls = TlsReport.of(state) if state is not None else None
            self.tlsrpt = tlsrpt_json(instance, self._call("tls-results"))
            self.extensions: List[str] = list(field(self._call("extensions"), "lines"))
        except BaseException:
            self.close()
            raise

    def _call(self, method: str, *args: object) -> object:
        if self._handle is None:
            raise ValueError("the session is closed")
        return self._instance.call("client", "[method]session." + method, self._handle, *args)

    def send(
        self,
        mail_from: str,
        to: Sequence[str],
        message: "Message | bytes | str | os.PathLike[str]",
        *,
        require_8bitmime: bool = False,
        require_smtputf8: bool = False,
        require_tls: bool = False,
        normalize: bool = False,
    ) -> Report:
        """Send `message` (bytes, a path, or a `Message`) to `to` in one transaction; the
        `Report` when a recipient was accepted, else `NotDelivered` with it."""
        transaction = Transaction(
            mail_from, list(to), message_from(message), require_8bitmime, require_smtputf8, require_tls, normalize
        )
        return raise_unless_delivered(self.transaction(transaction))

    def transaction(self, transaction: Transaction) -> Report:
        """One transaction: the report of each recipient, with the session's server, TLS
        and TLS-reporting results."""
        message = self._instance.imports.message(transaction.message, owned=False)
        delivered = self._call("deliver", _envelope(transaction), message)
        # result<transaction-success, transaction-failure>: tagged, both are records.
        assert isinstance(delivered, Variant)
        if delivered.tag == "ok":
            recipients = [recipient_result(r) for r in field(delivered.payload, "recipients")]
            report = Report(Report.status_of(recipients), recipients)
        else:
            report = _failure_report(transaction, delivered.payload)
        report.tls = self.tls
        report.tlsrpt = list(self.tlsrpt)
        report.attempts = self._attempts + [AttemptReport(self._request.server, self._ip, self._request.port, report.error)]
        report = _with_server(report, self._request, self.extensions)
        assert report.server is not None
        report.server.ip = self._ip
        return report

    def close(self) -> None:
        """QUIT (its failure changes nothing) and close the connection."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        try:
            if not self._instance.trapped:
                self._instance.call("client", "[method]session.close", handle)
                self._instance.drop(handle)
        finally:
            self._instance.imports.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _endpoint(ip: IpAddress, port: int) -> str:
    return "[%s]:%d" % (ip, port) if ip.version == 6 else "%s:%d" % (ip, port)


def _addresses(resolver: object, server: str) -> List[IpAddress]:
    """The server's addresses: an IP address as given, else the resolver's answer."""
    try:
        return [ipaddress.ip_address(server.strip("[]"))]
    except ValueError:
        pass
    return list(resolver.lookup_ip(server, "any").records)  # type: ignore[attr-defined]


def _failure_report(transaction: Transaction, failure: object) -> Report:
    error = ErrorReport.of(field(failure, "error"))
    results = field(failure, "recipients")
    if not results:
        return Report.failed(transaction.to, error)
    recipients = [recipient_result(r) for r in results]
    for r in recipients:
        # Accepted at RCPT, but the transaction failed: not delivered.
        if r.status == DELIVERED:
            r.status = PERMANENT if error.permanent else TEMPORARY
    return Report(Report.status_of(recipients), recipients, error)


def _with_server(report: Report, request: ConnectRequest, extensions: List[str]) -> Report:
    report.server = ServerReport(request.server, None, request.port, extensions)
    return report


def tlsrpt_json(instance: Instance, results: object) -> list:
    """The RFC 8460 JSON objects of a `tls-report.tls-results`, from the component."""
    return [json.loads(text) for text in instance.call("tls-report", "to-json", results)]


def _open_options(request: ConnectRequest) -> object:
    auth = None
    if request.auth is not None:
        auth = record(
            username=request.auth.username,
            secret=request.auth.secret,
            mechanisms=[sasl_mechanism(m) for m in request.auth.mechanisms],
            # Cleartext mechanisms stay refused without TLS, as host-example's command line.
            allow_cleartext_without_tls=False,
        )
    certificate = None
    if request.client_certificate is not None:
        chain_pem, key_pem = request.client_certificate
        certificate = record(chain_pem=chain_pem, key_pem=key_pem)
    return record(
        tls_mode=request.tls_mode,
        verify_pkix=request.verify_pkix,
        ehlo_hostname=domain(request.ehlo or machine_name()),
        remote_hostname=domain(request.server.strip("[]")),
        auth=auth,
        dane_records=request.dane_records,
        dane_more_hostnames=[],
        ignore_tls_verify_errors=False,
        extra_root_cas=list(request.extra_root_cas),
        client_certificate=certificate,
        timeouts=uniform_timeouts(request.timeout_ms),
        tls_results=None,
    )


def _envelope(transaction: Transaction) -> object:
    return record(
        mail_from=transaction.mail_from,
        recipients=[recipient(address) for address in transaction.to],
        size=transaction.message.size(),
        require_eightbitmime=transaction.require_8bitmime,
        require_smtputf8=transaction.require_smtputf8,
        require_tls=transaction.require_tls,
        dsn=None,
        line_endings="normalize" if transaction.normalize else "strict",
    )


def raise_unless_delivered(report: Report) -> Report:
    """`report` when a recipient was accepted, else `NotDelivered` carrying it."""
    if report.delivered:
        return report
    error = report.error or ErrorReport("no-recipients", report.status == PERMANENT, "no recipient was accepted")
    raise NotDelivered(error.kind, report.status == PERMANENT, error.message, error.reply, error.command, report)
