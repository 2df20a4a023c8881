#!/usr/bin/env python3
"""Scriptable SMTP test peer on loopback, built on aiosmtpd (pip install aiosmtpd).

usage: aiosmtpd_peer.py [--host 127.0.0.1] [--port 0] [--tls-port N] [--cert C --key K]
                        [--require-starttls] [--auth user@example.test:secret] [--auth-required]
                        [--size 10485760] [--no-smtputf8] [--ehlo-add PIPELINING]... [--ehlo-drop SMTPUTF8]...
                        [--rcpt-reply LOCAL=REPLY]... [--data-reply LOCAL=REPLY]...
                        --out DIR [--pidfile F]

Port 0 (the default) picks a free port. Once every listener accepts connections the peer prints
`TLS_PORT <n>` (only with --tls-port) and then `PORT <n>` on stdout and flushes; `PORT` is the
ready signal. Everything else (errors, logs) goes to stderr.

Each accepted message is written byte-exact (what the client sent between DATA and the final
dot, CRLF kept, dot-unstuffed, no header added) to DIR/<n>.eml, n = 1, 2, ..., followed by
DIR/<n>.json (mail_from, rcpt_tos, mail_options, rcpt_options, rcpts [{address, options}], helo,
tls [version, cipher] or null, tls_via ("starttls"/"implicit"/null), auth login or null, peer,
size). Both are written to a temporary name and renamed, the .json last: a reader that sees the
.json sees the whole message.

Scripted replies by recipient local part (case-insensitive):
  RCPT: reject550@ 550 5.1.1, defer451@ 451 4.3.0, reject552@ 552 5.2.2, hangrcpt@ never answers
  end of DATA (if any accepted recipient has that local part): dataerr554@ 554 5.6.0,
        datadefer421@ 421 4.4.2 and the connection is closed, hang@ never answers
  more with --rcpt-reply / --data-reply LOCAL="CODE TEXT".
Implicit TLS (--tls-port) and STARTTLS need --cert/--key. AUTH PLAIN LOGIN (with --auth) is only
offered after TLS. Stops on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

RCPT_REPLIES = {
    "reject550": "550 5.1.1 test: no such user",
    "defer451": "451 4.3.0 test: try again later",
    "reject552": "552 5.2.2 test: mailbox full",
}
DATA_REPLIES = {
    "dataerr554": "554 5.6.0 test: content rejected",
    "datadefer421": "421 4.4.2 test: closing",
}
HANG = 3600


def local_part(address):
    return address.rsplit("@", 1)[0].lower()


class Handler:
    def __init__(self, out, ehlo_add, ehlo_drop, rcpt_replies, data_replies):
        self.out, self.n = out, itertools.count(1)
        self.ehlo_add = ehlo_add
        self.ehlo_drop = {x.upper() for x in ehlo_drop}
        self.rcpt_replies, self.data_replies = rcpt_replies, data_replies
        os.makedirs(out, exist_ok=True)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        keep = [r for r in responses if r[4:].split(" ")[0].upper() not in self.ehlo_drop]
        last = keep.pop()  # "250 HELP"
        return keep + [f"250-{x}" for x in self.ehlo_add] + [last]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        lp = local_part(address)
        if lp == "hangrcpt":
            await asyncio.sleep(HANG)
        if lp in self.rcpt_replies:
            return self.rcpt_replies[lp]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        if not hasattr(envelope, "rcpts"):
            envelope.rcpts = []
        envelope.rcpts.append(dict(address=address, options=list(rcpt_options)))
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for r in envelope.rcpt_tos:
            lp = local_part(r)
            if lp == "hang":
                await asyncio.sleep(HANG)
            if lp in self.data_replies:
                reply = self.data_replies[lp]
                if reply.startswith("421"):
                    # 421: the server closes the transmission channel after this reply.
                    asyncio.get_running_loop().call_later(0.05, server.transport.close)
                return reply
        n = next(self.n)
        base = os.path.join(self.out, str(n))
        write_atomic(base + ".eml", envelope.original_content)
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        meta = dict(
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
            mail_options=envelope.mail_options,
            rcpt_options=envelope.rcpt_options,
            rcpts=getattr(envelope, "rcpts", []),
            helo=session.host_name,
            tls=[ssl_object.version(), ssl_object.cipher()[0]] if ssl_object else None,
            tls_via=getattr(server, "tls_via", None) if ssl_object else None,
            peer=list(session.peer) if session.peer else None,
            auth=(session.auth_data.login.decode("utf-8", "replace")
                  if isinstance(session.auth_data, LoginPassword) else None),
            size=len(envelope.original_content),
        )
        write_atomic(base + ".json", json.dumps(meta, ensure_ascii=False).encode())
        return f"250 2.0.0 OK queued as {n}"


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def scripted(pairs, base):
    table = dict(base)
    for p in pairs:
        lp, sep, reply = p.partition("=")
        if not sep or len(reply) < 3 or not reply[:3].isdigit():
            sys.exit(f"bad scripted reply {p!r}: want LOCAL=CODE TEXT")
        table[lp.lower()] = reply
    return table


def listen(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(128)
    s.setblocking(False)
    return s


async def serve(a):
    ctx = None
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
    elif a.tls_port is not None or a.require_starttls:
        sys.exit("--tls-port and --require-starttls need --cert/--key")
    user, _, pw = (a.auth or "").partition(":")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == pw)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    handler = Handler(a.out, a.ehlo_add, a.ehlo_drop, scripted(a.rcpt_reply, RCPT_REPLIES),
                      scripted(a.data_reply, DATA_REPLIES))
    loop = asyncio.get_running_loop()
    kw = dict(data_size_limit=a.size, enable_SMTPUTF8=not a.no_smtputf8, hostname="mx.example.test",
              ident="aiosmtpd test peer", require_starttls=a.require_starttls,
              auth_required=a.auth_required, authenticator=authenticator if a.auth else None,
              timeout=a.idle_timeout, loop=loop)

    def factory(implicit):
        def make():
            # aiosmtpd only counts STARTTLS as TLS, so AUTH must not require TLS on the implicit port.
            s = SMTP(handler, tls_context=None if implicit else ctx, auth_require_tls=not implicit, **kw)
            s.tls_via = "implicit" if implicit else "starttls"
            return s
        return make

    servers = []
    socks = [(listen(a.host, a.port), False)]
    if a.tls_port is not None:
        socks.append((listen(a.host, a.tls_port), True))
    for sock, implicit in socks:
        servers.append(await loop.create_server(factory(implicit), sock=sock,
                                                ssl=ctx if implicit else None))
    if a.pidfile:
        write_atomic(a.pidfile, str(os.getpid()).encode())
    if a.tls_port is not None:
        print(f"TLS_PORT {socks[1][0].getsockname()[1]}", flush=True)
    print(f"PORT {socks[0][0].getsockname()[1]}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port (printed as PORT n)")
    ap.add_argument("--tls-port", type=int, help="extra implicit-TLS listener (0 = pick)")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--auth", help="user:password; enables AUTH PLAIN LOGIN (after TLS)")
    ap.add_argument("--auth-required", action="store_true")
    ap.add_argument("--size", type=int, default=10 * 1024 * 1024)
    ap.add_argument("--no-smtputf8", action="store_true")
    ap.add_argument("--ehlo-add", action="append", default=[])
    ap.add_argument("--ehlo-drop", action="append", default=[])
    ap.add_argument("--rcpt-reply", action="append", default=[], metavar="LOCAL=REPLY")
    ap.add_argument("--data-reply", action="append", default=[], metavar="LOCAL=REPLY")
    ap.add_argument("--idle-timeout", type=float, default=300, help="server idle timeout, seconds")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    # aiosmtpd itself warns on every AUTH about an attribute it uses internally: not ours, mute it.
    logging.getLogger("mail.log").addFilter(lambda r: "login_data is deprecated" not in r.getMessage())
    if a.cert and not a.key:
        a.key = a.cert
    asyncio.run(serve(a))


if __name__ == "__main__":
    main()
