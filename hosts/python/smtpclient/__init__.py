"""smtpclient: the smtpclient WebAssembly component (contract `smtp:client@0.2.0`) run from
Python on the `wasmtime` wheel.

The component does SMTP, TLS, SASL, DANE, MTA-STS and TLS reporting; this package gives it
sockets (`tcp`), DNS with DNSSEC authenticity (`resolver`, dnspython), a log (`logging`) and
messages (`spool`).

    import smtpclient
    report = smtpclient.send("mail.example.org:587", "me@example.org", ["you@example.net"],
                             b"Subject: hi\\r\\n\\r\\nhello\\r\\n", username="me", password="...")
    report = smtpclient.deliver("me@example.org", ["you@example.net"], "message.eml")

Both return a `Report` when at least one recipient was accepted and raise `NotDelivered`
(with the report and the structured error) when none was. Every error is an
`SmtpClientError` with `kind`, `permanent`, `reply`, `command` and `message`.
"""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from . import delivery, submission
from .component import ComponentInfo, Runtime, read_component
from .errors import (
    ComponentError,
    ComponentUnavailable,
    MessageUnavailable,
    NotDelivered,
    Reply,
    SmtpClientError,
    UsageError,
)
from .report import Report
from .resolver import DnsResolver, LookupFailure
from .spool import BytesMessage, FileMessage, Message, message_from
from .submission import Session
from .sts_cache import StsCache, default_dir
from .values import parse_tlsa

__all__ = [
    "connect",
    "Session",
    "send",
    "deliver",
    "component_info",
    "pem_certificates",
    "Report",
    "Reply",
    "SmtpClientError",
    "NotDelivered",
    "MessageUnavailable",
    "UsageError",
    "ComponentError",
    "ComponentUnavailable",
    "DnsResolver",
    "Message",
    "BytesMessage",
    "FileMessage",
]

__version__ = "0.2.0"

#: `--tls` names and the contract's `tls-mode` cases.
TLS_MODES = {
    "immediate": "immediate",
    "starttls": "required-starttls",
    "opportunistic": "opportunistic",
    "none": "skip",
}

MessageSource = Union[Message, bytes, bytearray, memoryview, str, "os.PathLike[str]"]

_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def component_info(component: Optional[os.PathLike] = None) -> ComponentInfo:
    """The path and SHA-256 of the component file `send` and `deliver` load."""
    return read_component(component)[1]


def pem_certificates(path: Union[str, "os.PathLike[str]"]) -> List[bytes]:
    """The certificates of a PEM file, DER; `MessageUnavailable`-style errors are
    `UsageError` (no certificate) and `OSError` (unreadable)."""
    text = Path(path).read_text(encoding="ascii", errors="replace")
    blocks = _PEM_CERTIFICATE.findall(text)
    if not blocks:
        raise UsageError("no certificate in ca file %s" % path)
    try:
        return [ssl.PEM_cert_to_DER_cert(block) for block in blocks]
    except ValueError as exc:
        raise UsageError("bad pem in %s: %s" % (path, exc)) from None


def _resolver(dns: Union[None, str, object]) -> object:
    """A resolver: the caller's object, a named "IP[:PORT]" (trusted), or the system's."""
    if dns is None:
        try:
            return DnsResolver.from_system()
        except LookupFailure as exc:
            raise UsageError("no usable DNS resolver: %s" % exc) from None
    if isinstance(dns, str):
        try:
            return DnsResolver.named(dns)
        except ValueError as exc:
            raise UsageError("--dns %s" % exc) from None
    return dns


def split_server(text: str, default_port: int) -> Tuple[str, int]:
    """"HOST", "HOST:PORT", "IP", "[IPv6]:PORT" or "IPv6" into host and port."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            return host, int(rest[1:])
        if not rest:
            return host, default_port
        raise UsageError("--server wants HOST[:PORT], got %r" % text)
    if text.count(":") > 1:
        return text, default_port
    host, sep, port = text.partition(":")
    if not host:
        raise UsageError("--server wants HOST[:PORT]")
    if not sep:
        return host, default_port
    if not port.isdigit() or int(port) > 65535:
        raise UsageError("--server wants HOST[:PORT], got %r" % text)
    return host, int(port)


def _milliseconds(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else int(seconds * 1000)


def connect(
    server: str,
    *,
    port: Optional[int] = None,
    tls: Optional[str] = None,
    verify: bool = True,
    ca: Iterable[bytes] = (),
    tlsa: Iterable[str] = (),
    username: Optional[str] = None,
    password: Optional[str] = None,
    mechanisms: Sequence[str] = (),
    client_certificate: Optional[Tuple[str, str]] = None,
    ehlo: Optional[str] = None,
    timeout: Optional[float] = None,
    dns: Union[None, str, object] = None,
    component: Optional[os.PathLike] = None,
) -> Session:
    """Open a submission session (RFC 6409) for several messages on one connection:

        with smtpclient.connect("mail.example.org", username="me", password="...") as session:
            session.send("me@example.org", ["you@example.net"], b"Subject: hi\\r\\n\\r\\nhello\\r\\n")

    `server`: "HOST[:PORT]" (port 587 with STARTTLS required and PKIX verified; 465 immediate
    TLS). `tls`: "starttls", "immediate", "opportunistic" or "none". `ca`: extra roots, DER.
    `tlsa`: DANE records "U S M HEX" that replace PKIX. `username`/`password`: AUTH (RFC 4954)
    with the strongest mechanism the server offers or `mechanisms` ("SCRAM-SHA-256", ...).
    `client_certificate`: (chain PEM, key PEM). `timeout`: seconds, for every phase. `dns`:
    "IP[:PORT]" of a trusted resolver, or an object with the resolver's `lookup_*` methods.

    Raises `NotDelivered` (with the report) when the session cannot be opened.
    """
    request = _connect_request(
        server, port=port, tls=tls, verify=verify, ca=ca, tlsa=tlsa, username=username, password=password,
        mechanisms=mechanisms, client_certificate=client_certificate, ehlo=ehlo, timeout=timeout,
    )
    opened = submission.open_session(Runtime.load(component), _resolver(dns), request)
    if isinstance(opened, Report):
        submission.raise_unless_delivered(opened)
    assert isinstance(opened, Session)
    return opened


def send(
    server: str,
    mail_from: str,
    to: Sequence[str],
    message: MessageSource,
    *,
    port: Optional[int] = None,
    tls: Optional[str] = None,
    verify: bool = True,
    ca: Iterable[bytes] = (),
    tlsa: Iterable[str] = (),
    username: Optional[str] = None,
    password: Optional[str] = None,
    mechanisms: Sequence[str] = (),
    client_certificate: Optional[Tuple[str, str]] = None,
    ehlo: Optional[str] = None,
    require_8bitmime: bool = False,
    require_smtputf8: bool = False,
    require_tls: bool = False,
    normalize: bool = False,
    timeout: Optional[float] = None,
    dns: Union[None, str, object] = None,
    component: Optional[os.PathLike] = None,
) -> Report:
    """Submit `message` (bytes, a path, or a `Message`) from `mail_from` to `to`: connect,
    open the session, one transaction, QUIT; the other options as for `connect`.
    `require_*`: 8BITMIME, SMTPUTF8, REQUIRETLS; `normalize`: bare CR and LF become CRLF
    instead of refusing the message.

    Returns the `Report` when a recipient was accepted; raises `NotDelivered` when none was,
    `MessageUnavailable`, `UsageError`, `ComponentError`.
    """
    return submission.raise_unless_delivered(
        _send_report(
            server, mail_from, to, message, port=port, tls=tls, verify=verify, ca=ca, tlsa=tlsa,
            username=username, password=password, mechanisms=mechanisms,
            client_certificate=client_certificate, ehlo=ehlo, require_8bitmime=require_8bitmime,
            require_smtputf8=require_smtputf8, require_tls=require_tls, normalize=normalize,
            timeout=timeout, dns=dns, component=component,
        )
    )


def _connect_request(server: str, **options) -> submission.ConnectRequest:
    host, port = split_server(server, 587)
    if options["port"] is not None:
        port = options["port"]
    tls = options["tls"]
    if tls is None:
        tls = "immediate" if port == 465 else "starttls"
    if tls not in TLS_MODES:
        raise UsageError("tls must be one of %s, got %r" % (", ".join(TLS_MODES), tls))
    try:
        dane = [parse_tlsa(text) for text in options["tlsa"]] or None
    except ValueError as exc:
        raise UsageError("--tlsa %s" % exc) from None
    auth = None
    if options["username"] is not None:
        if options["password"] is None:
            raise UsageError("a username needs a password")
        for mechanism in options["mechanisms"]:
            try:
                submission.sasl_mechanism(mechanism)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        auth = submission.Auth(options["username"], options["password"], list(options["mechanisms"]))
    return submission.ConnectRequest(
        server=host,
        port=port,
        tls_mode=TLS_MODES[tls],
        verify_pkix=options["verify"],
        ehlo=options["ehlo"],
        timeout_ms=_milliseconds(options["timeout"]),
        extra_root_cas=[bytes(der) for der in options["ca"]],
        dane_records=dane,
        auth=auth,
        client_certificate=options["client_certificate"],
    )


def _send_report(server: str, mail_from: str, to: Sequence[str], message: MessageSource, **options) -> Report:
    """`send` without raising `NotDelivered` (for the command line)."""
    transaction = submission.Transaction(
        mail_from=mail_from,
        to=list(to),
        message=message_from(message),
        require_8bitmime=options.pop("require_8bitmime"),
        require_smtputf8=options.pop("require_smtputf8"),
        require_tls=options.pop("require_tls"),
        normalize=options.pop("normalize"),
    )
    if not to:
        raise UsageError("at least one recipient is needed")
    resolver = _resolver(options.pop("dns"))
    runtime = Runtime.load(options.pop("component"))
    return submission.run(runtime, resolver, _connect_request(server, **options), transaction)


def deliver(
    mail_from: str,
    to: Sequence[str],
    message: MessageSource,
    *,
    port: int = 25,
    ehlo: Optional[str] = None,
    ca: Iterable[bytes] = (),
    tls_level: str = "dane",
    tls_required_no: bool = False,
    require_8bitmime: bool = False,
    require_smtputf8: bool = False,
    require_tls: bool = False,
    allow_private_addresses: bool = False,
    sts_cache: Union[None, str, "os.PathLike[str]"] = None,
    timeout: Optional[float] = None,
    dns: Union[None, str, object] = None,
    component: Optional[os.PathLike] = None,
) -> Report:
    """Deliver `message` to the MX hosts of the recipients' domains (RFC 5321 §5), one
    delivery attempt per domain, with DANE and MTA-STS as each domain publishes them.

    `tls_level`: the lowest accepted, Postfix's names ("may", "encrypt", "dane", "dane-only",
    "verify", "secure"). `allow_private_addresses`: dial loopback and private MX addresses
    (tests, labs). `sts_cache`: the MTA-STS policy directory (default: the user's cache).

    Returns the `Report` when a recipient was accepted; raises `NotDelivered` when none was,
    `MessageUnavailable`, `UsageError`, `ComponentError`.
    """
    return submission.raise_unless_delivered(
        _deliver_report(
            mail_from, to, message, port=port, ehlo=ehlo, ca=ca, tls_level=tls_level,
            tls_required_no=tls_required_no, require_8bitmime=require_8bitmime,
            require_smtputf8=require_smtputf8, require_tls=require_tls,
            allow_private_addresses=allow_private_addresses, sts_cache=sts_cache,
            timeout=timeout, dns=dns, component=component,
        )
    )


def _deliver_report(mail_from: str, to: Sequence[str], message: MessageSource, **options) -> Report:
    """`deliver` without raising `NotDelivered` (for the command line)."""
    if options["tls_level"] not in delivery.TLS_LEVELS:
        raise UsageError("tls level must be one of %s" % ", ".join(delivery.TLS_LEVELS))
    if not to:
        raise UsageError("at least one recipient is needed")
    cache_dir = options["sts_cache"] if options["sts_cache"] is not None else default_dir()
    request = delivery.DeliverRequest(
        mail_from=mail_from,
        to=list(to),
        message=message_from(message),
        port=options["port"],
        ehlo=options["ehlo"],
        tls_level=options["tls_level"],
        tls_required_no=options["tls_required_no"],
        extra_root_cas=[bytes(der) for der in options["ca"]],
        timeout_ms=_milliseconds(options["timeout"]),
        require_8bitmime=options["require_8bitmime"],
        require_smtputf8=options["require_smtputf8"],
        require_tls=options["require_tls"],
        allow_private_addresses=options["allow_private_addresses"],
        sts_cache=StsCache(cache_dir) if cache_dir is not None else None,
    )
    resolver = _resolver(options["dns"])
    runtime = Runtime.load(options["component"])
    return delivery.run(runtime, resolver, request)
