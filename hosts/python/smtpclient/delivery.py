"""`deliver`: direct delivery to the MX hosts of every recipient domain through the
component's `delivery.deliver`, one call (and one instance) per domain, with the MTA-STS
policy cache kept by the host (RFC 8461 §5.1: the component is stateless)."""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Dict, List, Optional

from wasmtime.component import Variant

from .component import Imports, Runtime
from .report import AttemptReport, ErrorReport, RecipientReport, Report, ServerReport, TlsReport, reply_of
from .spool import Message
from .sts_cache import StsCache
from .submission import tlsrpt_json
from .values import domain, field, ip_domain_text, ip_from_wit, machine_name, next_hop, recipient, record, uniform_timeouts

#: Postfix's names (smtp_tls_security_level), as `delivery.tls-level` has them.
TLS_LEVELS = ("may", "encrypt", "dane", "dane-only", "verify", "secure")


@dataclass
class DeliverRequest:
    """What to deliver and how; the fields are the command line's `deliver` flags."""

    mail_from: str
    to: List[str]
    message: Message
    port: int = 25
    ehlo: Optional[str] = None
    tls_level: str = "dane"
    tls_required_no: bool = False
    extra_root_cas: List[bytes] = dataclass_field(default_factory=list)
    timeout_ms: Optional[int] = None
    require_8bitmime: bool = False
    require_smtputf8: bool = False
    require_tls: bool = False
    #: Dial loopback and private addresses that MX records point to (tests, labs).
    allow_private_addresses: bool = False
    sts_cache: Optional[StsCache] = None


def domain_of(address: str) -> str:
    """The domain of an address: after the last "@"; the whole string when there is none
    (the component then reports the address as invalid)."""
    return address.rpartition("@")[2]


def run(runtime: Runtime, resolver: object, request: DeliverRequest) -> Report:
    """Deliver to each recipient domain in turn and merge the reports: recipients in the order
    given, attempts and TLS-reporting results in order. A trap raises `ComponentError`."""
    by_domain: Dict[str, List[str]] = {}
    for address in request.to:
        by_domain.setdefault(domain_of(address).lower(), []).append(address)
    outcomes: Dict[str, RecipientReport] = {}
    merged = Report("temporary", [])
    for name in sorted(by_domain):
        cached = request.sts_cache.get(name) if request.sts_cache is not None else None
        imports = Imports(resolver)
        with runtime.instantiate(imports) as instance:
            outgoing = record(
                envelope=_envelope(request, by_domain[name]),
                message=imports.message(request.message, owned=True),
                dmarc_report=False,
            )
            report = instance.call("delivery", "deliver", _delivery_request(request, name, cached), [outgoing])
            policy = field(report, "sts_policy")
            if request.sts_cache is not None and policy is not None:
                request.sts_cache.put(name, policy)
            _merge(merged, report)
            for results in field(report, "tls_results"):
                merged.tlsrpt.extend(tlsrpt_json(instance, results))
        for message in field(report, "messages"):
            for outcome in field(message, "recipients"):
                outcomes[field(outcome, "address")] = _recipient(outcome)
    merged.recipients = [outcomes[address] for address in request.to if address in outcomes]
    merged.status = Report.status_of(merged.recipients)
    if merged.status == "delivered":
        merged.error = None
    return merged


def _delivery_request(request: DeliverRequest, name: str, cached: object) -> object:
    route = record(
        port=request.port,
        tls_level=request.tls_level,
        cached_sts_policy=cached,
        ip_family="any",
        allow_private_addresses=request.allow_private_addresses,
        address_limit=None,
        session_limit=None,
    )
    return record(
        next_hop=next_hop(name),
        # `route`: tagged, both cases are records.
        route=Variant("mx", route),
        ehlo_hostname=domain(request.ehlo or machine_name()),
        tls_required_no=request.tls_required_no,
        extra_root_cas=list(request.extra_root_cas),
        client_certificate=None,
        timeouts=uniform_timeouts(request.timeout_ms),
        connect_timeout_ms=request.timeout_ms,
        deadline_ms=None,
        attempt_number=1,
        dialed_ips=[],
        local_addresses=[],
    )


def _envelope(request: DeliverRequest, to: List[str]) -> object:
    return record(
        mail_from=request.mail_from,
        recipients=[recipient(address) for address in to],
        size=request.message.size(),
        require_eightbitmime=request.require_8bitmime,
        require_smtputf8=request.require_smtputf8,
        require_tls=request.require_tls,
        dsn=None,
        line_endings="strict",
    )


def _merge(merged: Report, report: object) -> None:
    """One domain's attempts, server, TLS and error into `merged`."""
    for attempt in field(report, "attempts"):
        host = ip_domain_text(field(attempt, "host"))
        address = field(attempt, "address")
        ip = str(ip_from_wit(address)) if address is not None else None
        tls = field(attempt, "tls")
        extensions = list(field(attempt, "extensions"))
        if tls is not None or extensions:
            merged.tls = TlsReport.of(tls) if tls is not None else None
            merged.server = ServerReport(host, ip, field(attempt, "port"), extensions)
        error = field(attempt, "error")
        merged.attempts.append(
            AttemptReport(host, ip, field(attempt, "port"), ErrorReport.of(error) if error is not None else None)
        )
    error = field(report, "error")
    if error is not None:
        merged.error = ErrorReport.of(error)


def _recipient(outcome: object) -> RecipientReport:
    """A `delivery.recipient-report`: the reply that decided it, else its error's reply."""
    reply = field(outcome, "reply")
    error = field(outcome, "error")
    if reply is None and error is not None:
        reply = field(error, "reply")
    return RecipientReport(field(outcome, "address"), field(outcome, "status"), reply_of(reply))
