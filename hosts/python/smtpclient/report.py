"""The report of one `send` or `deliver`: host-example's `--json` object (DESIGN.md, "The
command line"), its exit code (sysexits), and the conversions from the component's records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Dict, List, Optional

from wasmtime.component import Record

from .errors import Reply
from .values import field, tlsa_text

#: sysexits(3) codes of the command line.
EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_TEMPFAIL = 75

DELIVERED = "delivered"
PARTIAL = "partial"
TEMPORARY = "temporary"
PERMANENT = "permanent"

#: The JSON names of `error-kind` where they differ from the WIT's.
_KIND_NAMES = {
    "eightbitmime-unsupported": "8bitmime",
    "smtputf8-unsupported": "smtputf8",
    "requiretls-unsupported": "requiretls",
}

#: The JSON names of `smtp-command` where they differ from the WIT's.
_COMMAND_NAMES = {"mail-from": "mailfrom", "rcpt-to": "rcptto"}


def kind_name(kind: str) -> str:
    return _KIND_NAMES.get(kind, kind)


def command_name(command: Optional[str]) -> Optional[str]:
    return None if command is None else _COMMAND_NAMES.get(command, command)


def reply_of(value: Optional[Record]) -> Optional[Reply]:
    """A `types.reply` as a `Reply`."""
    if value is None:
        return None
    return Reply(field(value, "code"), field(value, "enhanced"), list(field(value, "lines")))


@dataclass
class ErrorReport:
    kind: str
    permanent: bool
    message: str
    reply: Optional[Reply] = None
    command: Optional[str] = None

    @classmethod
    def of(cls, error: Record) -> "ErrorReport":
        """A `types.smtp-error`."""
        return cls(
            kind_name(field(error, "kind")),
            field(error, "permanent"),
            field(error, "message"),
            reply_of(field(error, "reply")),
            command_name(field(error, "command")),
        )

    def to_json(self) -> Dict[str, Any]:
        return {
            "kind": self.kind,
            "permanent": self.permanent,
            "code": self.reply.code if self.reply else None,
            "enhanced": self.reply.enhanced if self.reply else None,
            "command": self.command,
            "lines": list(self.reply.lines) if self.reply else [],
            "message": self.message,
        }


@dataclass
class RecipientReport:
    address: str
    status: str
    reply: Optional[Reply] = None

    def to_json(self) -> Dict[str, Any]:
        return {
            "address": self.address,
            "status": self.status,
            "code": self.reply.code if self.reply else None,
            "enhanced": self.reply.enhanced if self.reply else None,
            "lines": list(self.reply.lines) if self.reply else [],
        }


@dataclass
class ServerReport:
    host: str
    ip: Optional[str]
    port: int
    extensions: List[str]

    def to_json(self) -> Dict[str, Any]:
        return {"host": self.host, "ip": self.ip, "port": self.port, "extensions": list(self.extensions)}


@dataclass
class TlsReport:
    version: str
    cipher: str
    dane_verified_record: Optional[str]
    pkix_valid: bool

    @classmethod
    def of(cls, state: Record) -> "TlsReport":
        """A `client.tls-state`."""
        record = field(state, "dane_verified_record")
        return cls(
            field(state, "version"),
            field(state, "cipher_suite"),
            tlsa_text(record) if record is not None else None,
            field(state, "pkix_valid"),
        )

    def to_json(self) -> Dict[str, Any]:
        return {
            "version": self.version,
            "cipher": self.cipher,
            "dane_verified_record": self.dane_verified_record,
            "pkix_valid": self.pkix_valid,
        }


@dataclass
class AttemptReport:
    host: str
    ip: Optional[str]
    port: int
    error: Optional[ErrorReport]

    def to_json(self) -> Dict[str, Any]:
        return {
            "host": self.host,
            "ip": self.ip,
            "port": self.port,
            "error": self.error.to_json() if self.error else None,
        }


@dataclass
class Report:
    """What happened: per recipient, the error that ended the attempt, the server and its
    TLS, the RFC 8460 results, every host tried."""

    status: str
    recipients: List[RecipientReport]
    error: Optional[ErrorReport] = None
    server: Optional[ServerReport] = None
    tls: Optional[TlsReport] = None
    tlsrpt: List[Any] = dataclass_field(default_factory=list)
    attempts: List[AttemptReport] = dataclass_field(default_factory=list)

    @classmethod
    def failed(cls, recipients: List[str], error: ErrorReport) -> "Report":
        """Every recipient shares the fate of `error`."""
        status = PERMANENT if error.permanent else TEMPORARY
        return cls(status, [RecipientReport(address, status, error.reply) for address in recipients], error)

    @staticmethod
    def status_of(recipients: List[RecipientReport]) -> str:
        """Delivered when every recipient was accepted, partial when some were, else
        temporary when any failure was temporary, else permanent."""
        delivered = sum(1 for r in recipients if r.status == DELIVERED)
        if recipients and delivered == len(recipients):
            return DELIVERED
        if delivered:
            return PARTIAL
        if any(r.status == TEMPORARY for r in recipients):
            return TEMPORARY
        return PERMANENT

    @property
    def delivered(self) -> bool:
        """At least one recipient was accepted."""
        return self.status in (DELIVERED, PARTIAL)

    def exit_code(self) -> int:
        """0 all delivered; 65 the message data was refused; 75 anything failed temporarily;
        else 69."""
        if self.error is not None and self.error.kind == "message":
            return EX_DATAERR
        if self.status == DELIVERED:
            return EX_OK
        temporary = any(r.status == TEMPORARY for r in self.recipients) or (
            not self.recipients and self.status == TEMPORARY
        )
        return EX_TEMPFAIL if temporary else EX_UNAVAILABLE

    def to_json(self) -> Dict[str, Any]:
        return {
            "status": self.status,
            "recipients": [r.to_json() for r in self.recipients],
            "error": self.error.to_json() if self.error else None,
            "server": self.server.to_json() if self.server else None,
            "tls": self.tls.to_json() if self.tls else None,
            "tlsrpt": list(self.tlsrpt),
            "attempts": [a.to_json() for a in self.attempts],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    def to_text(self) -> str:
        """A few lines for the terminal, as host-example prints them."""
        words = {
            DELIVERED: "delivered to",
            PARTIAL: "partially delivered to",
            TEMPORARY: "temporary failure for",
            PERMANENT: "permanent failure for",
        }
        lines = []
        for r in self.recipients:
            reply = ""
            if r.reply is not None:
                last = r.reply.lines[-1] if r.reply.lines else ""
                reply = ": %s" % last
            lines.append("%s %s%s" % (words[r.status], r.address, reply))
        if self.error is not None:
            lines.append("error: %s" % self.error.message)
        return "".join(line + "\n" for line in lines)


def recipient_result(result: Record) -> RecipientReport:
    """A `client.recipient-result`."""
    if field(result, "accepted"):
        status = DELIVERED
    elif field(result, "permanent"):
        status = PERMANENT
    else:
        status = TEMPORARY
    return RecipientReport(field(result, "address"), status, reply_of(field(result, "reply")))
