"""`python -m smtpclient send|deliver ...`: host-example's `send` and `deliver` flags, JSON
report and exit codes (DESIGN.md, "The command line"), on the Python host."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, NoReturn, Optional, Sequence

from importlib.metadata import version as package_version

from . import __version__, _deliver_report, _send_report, component_info, pem_certificates
from .delivery import TLS_LEVELS
from .errors import MessageUnavailable, SmtpClientError, UsageError
from .report import EX_OK, EX_USAGE
from .spool import BytesMessage, FileMessage, Message
from .zone import ZoneError, ZoneResolver


class _Parser(argparse.ArgumentParser):
    """Bad usage exits 64 (sysexits EX_USAGE), as host-example's."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, "%s: error: %s\n" % (self.prog, message))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--component", metavar="FILE.wasm", help="use this component instead of the built one")
    parser.add_argument("--from", dest="mail_from", required=True, metavar="ADDR", help='envelope sender; "" for the null sender')
    parser.add_argument("--to", action="append", required=True, metavar="ADDR", help="a recipient; repeat for more")
    parser.add_argument("--message", metavar="FILE|-", help='the message file; "-" or absent: standard input')
    resolver = parser.add_mutually_exclusive_group()
    resolver.add_argument("--dns", metavar="IP[:PORT]", help="this DNS resolver (trusted for DNSSEC)")
    resolver.add_argument("--zone", metavar="FILE", help="answer DNS lookups from this zone file")
    parser.add_argument("--ehlo", help="the name announced in EHLO; by default this machine's fully qualified name")
    parser.add_argument("--ca", action="append", default=[], metavar="FILE.pem", help="trust these roots for PKIX")
    parser.add_argument("--8bitmime", dest="eight_bit_mime", action="store_true", help="BODY=8BITMIME (RFC 6152)")
    parser.add_argument("--smtputf8", action="store_true", help="SMTPUTF8 (RFC 6531)")
    parser.add_argument("--requiretls", action="store_true", help="REQUIRETLS (RFC 8689)")
    parser.add_argument("--timeout", type=int, metavar="SECONDS", help="every per-phase deadline")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v: SMTP transcript; -vv: also debug lines")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="python -m smtpclient", description="Run the smtpclient WebAssembly component from Python")
    top.add_argument(
        "--version",
        action="store_true",
        help="print the versions and the SHA-256 of the component file (with --component: that file)",
    )
    top.add_argument("--component", dest="top_component", metavar="FILE.wasm", help=argparse.SUPPRESS)
    commands = top.add_subparsers(dest="command", parser_class=_Parser)

    send = commands.add_parser("send", help="submit a message to a server (msmtp-style)")
    send.add_argument("--server", required=True, metavar="HOST[:PORT]")
    send.add_argument("--tls", choices=["immediate", "starttls", "opportunistic", "none"])
    send.add_argument("--no-verify", action="store_true", help="do not verify the certificate (PKIX)")
    send.add_argument("--tlsa", action="append", default=[], metavar="U S M HEX", help="require DANE with this record")
    send.add_argument("--user", metavar="NAME", help="authenticate (password: --password-file or SMTP_PASSWORD)")
    send.add_argument("--password-file", metavar="FILE", help="its first line is the password")
    send.add_argument("--auth", metavar="MECH[,MECH...]", help="SASL mechanisms, most preferred first")
    send.add_argument("--client-cert", metavar="FILE.pem", help="present this certificate chain")
    send.add_argument("--client-key", metavar="FILE.pem", help="the private key of --client-cert")
    send.add_argument("--normalize", action="store_true", help="turn bare CR and LF into CRLF")
    _common(send)

    deliver = commands.add_parser("deliver", help="deliver to the MX hosts of the recipients' domains")
    deliver.add_argument("--port", type=int, default=25, help="the SMTP port of the MX hosts")
    deliver.add_argument("--tls-level", choices=TLS_LEVELS, default="dane", help="the lowest TLS level")
    deliver.add_argument("--tls-required-no", action="store_true", help='"TLS-Required: No" (RFC 8689)')
    deliver.add_argument("--sts-cache", metavar="DIR", help="keep MTA-STS policies in this directory")
    deliver.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="dial loopback and private addresses that MX records point to (tests, labs)",
    )
    _common(deliver)
    return top


def _message(path: Optional[str]) -> Message:
    if path is None or path == "-":
        try:
            return BytesMessage(sys.stdin.buffer.read())
        except OSError as exc:
            raise MessageUnavailable("cannot read the message from standard input: %s" % exc) from None
    return FileMessage(path)


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise MessageUnavailable("cannot read %s %s: %s" % (what, path, exc.strerror or exc)) from None


def _roots(files: List[str]) -> List[bytes]:
    roots: List[bytes] = []
    for path in files:
        try:
            roots.extend(pem_certificates(path))
        except OSError as exc:
            raise MessageUnavailable("cannot read ca file %s: %s" % (path, exc.strerror or exc)) from None
    return roots


def _password(args: argparse.Namespace) -> Optional[str]:
    if args.user is None:
        if args.password_file or args.auth:
            raise UsageError("--password-file and --auth need --user")
        return None
    if args.password_file:
        lines = _read(args.password_file, "password file").splitlines()
        return lines[0] if lines else ""
    if "SMTP_PASSWORD" in os.environ:
        return os.environ["SMTP_PASSWORD"]
    raise UsageError("--user needs --password-file or the SMTP_PASSWORD environment variable")


def _resolver(args: argparse.Namespace) -> object:
    """`--zone`'s resolver, else `--dns` (or None: the system's)."""
    if args.zone is None:
        return args.dns
    try:
        return ZoneResolver.from_file(args.zone)
    except ZoneError as exc:
        raise UsageError("cannot use zone file %s: %s" % (args.zone, exc)) from None


def _logging(verbosity: int) -> None:
    """-v: the transcript on stderr; -vv: also the component's debug lines. Errors and
    warnings always."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    transcript = logging.getLogger("smtpclient.transcript")
    transcript.addHandler(handler)
    transcript.setLevel(logging.INFO if verbosity >= 1 else logging.WARNING)
    transcript.propagate = False
    component = logging.getLogger("smtpclient.component")
    component_handler = logging.StreamHandler(sys.stderr)
    component_handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    component.addHandler(component_handler)
    component.setLevel(logging.DEBUG - 5 if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING)
    component.propagate = False


def _send(args: argparse.Namespace) -> int:
    if bool(args.client_cert) != bool(args.client_key):
        raise UsageError("--client-cert and --client-key come together")
    message = _message(args.message)
    client_certificate = None
    if args.client_cert:
        client_certificate = (_read(args.client_cert, "certificate"), _read(args.client_key, "key"))
    report = _send_report(
        args.server,
        args.mail_from,
        args.to,
        message,
        port=None,
        tls=args.tls,
        verify=not args.no_verify,
        ca=_roots(args.ca),
        tlsa=args.tlsa,
        username=args.user,
        password=_password(args),
        mechanisms=[m for m in (args.auth or "").split(",") if m],
        client_certificate=client_certificate,
        ehlo=args.ehlo,
        require_8bitmime=args.eight_bit_mime,
        require_smtputf8=args.smtputf8,
        require_tls=args.requiretls,
        normalize=args.normalize,
        timeout=args.timeout,
        dns=_resolver(args),
        component=args.component,
    )
    return _print(report, args.json)


def _deliver(args: argparse.Namespace) -> int:
    message = _message(args.message)
    report = _deliver_report(
        args.mail_from,
        args.to,
        message,
        port=args.port,
        ehlo=args.ehlo,
        ca=_roots(args.ca),
        tls_level=args.tls_level,
        tls_required_no=args.tls_required_no,
        require_8bitmime=args.eight_bit_mime,
        require_smtputf8=args.smtputf8,
        require_tls=args.requiretls,
        allow_private_addresses=args.allow_private_addresses,
        sts_cache=args.sts_cache,
        timeout=args.timeout,
        dns=_resolver(args),
        component=args.component,
    )
    return _print(report, args.json)


def _print(report, as_json: bool) -> int:
    if as_json:
        print(report.dumps())
    else:
        sys.stdout.write(report.to_text())
    return report.exit_code()


def wasmtime_version() -> str:
    return package_version("wasmtime")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.version:
            info = component_info(args.top_component)
            print(
                "smtpclient %s wasmtime %s component %s sha256 %s"
                % (__version__, wasmtime_version(), info.path, info.sha256)
            )
            return EX_OK
        if args.command is None:
            parser().print_usage(sys.stderr)
            return EX_USAGE
        if args.top_component and not args.component:
            args.component = args.top_component
        _logging(args.verbose)
        return _send(args) if args.command == "send" else _deliver(args)
    except SmtpClientError as error:
        print("smtpclient: %s" % error.message, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130

