"""The exceptions of the package: each carries the structured error of the contract
(`types.smtp-error`: kind, permanent, reply, command, message) and, when an attempt was made,
the whole report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, List, Optional

if TYPE_CHECKING:
    from .report import Report


@dataclass(frozen=True)
class Reply:
    """A server reply (RFC 5321 §4.2): every line whole, as received."""

    code: int
    enhanced: Optional[str]
    lines: List[str] = field(default_factory=list)


class SmtpClientError(Exception):
    """Base of every error of this package.

    `kind` is the contract's `error-kind` as the command line's JSON names it ("io", "tls",
    "auth", ...), `permanent` whether retrying can help (a queue bounces on True), `reply`
    the server reply that caused it, `command` the SMTP command it belongs to ("rcptto", ...),
    `report` the report of the attempt when one was made.
    """

    exit_code = 70

    def __init__(
        self,
        kind: str,
        permanent: bool,
        message: str,
        reply: Optional[Reply] = None,
        command: Optional[str] = None,
        report: Optional["Report"] = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.permanent = permanent
        self.message = message
        self.reply = reply
        self.command = command
        self.report = report

    def __str__(self) -> str:
        return self.message


class NotDelivered(SmtpClientError):
    """The attempt ran and no recipient was accepted: an unreachable server, a refusal, an
    invalid address, a TLS or DANE failure. `report` says what happened to each recipient;
    `permanent` is False when any recipient may succeed later."""

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        assert self.report is not None
        return self.report.exit_code()


class MessageUnavailable(SmtpClientError, OSError):
    """The message file is missing or unreadable (sysexits EX_NOINPUT, 66)."""

    exit_code = 66

    def __init__(self, message: str) -> None:
        SmtpClientError.__init__(self, "usage", True, message)


class UsageError(SmtpClientError, ValueError):
    """Invalid arguments (sysexits EX_USAGE, 64)."""

    exit_code = 64

    def __init__(self, message: str) -> None:
        SmtpClientError.__init__(self, "usage", True, message)


class ComponentError(SmtpClientError):
    """The component could not be loaded, or it trapped (a bug in the component, or a guest
    limit exceeded): sysexits EX_SOFTWARE, 70. Only the store of that call is affected."""

    exit_code = 70

    def __init__(self, message: str) -> None:
        SmtpClientError.__init__(self, "internal", False, message)


class ComponentUnavailable(ComponentError):
    """The component file is missing or unreadable (sysexits EX_NOINPUT, 66)."""

    exit_code = 66
