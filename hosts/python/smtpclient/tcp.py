"""The `tcp` import on Python's `socket`: connections with TCP_NODELAY and a deadline on
every call, as `wit/tcp.wit` defines them (a timeout of 0 never waits)."""

from __future__ import annotations

import errno
import ipaddress
import select
import socket
import time
from typing import Callable, Optional, Tuple

from .values import IpAddress

#: The most bytes one `read` returns, whatever the component asks for (it asks again).
MAX_READ = 1 << 20

#: An egress policy: the reason to refuse dialing (address, port), or None to allow it.
EgressPolicy = Callable[[IpAddress, int], Optional[str]]


class TcpError(Exception):
    """A `tcp-error`: `case` is its WIT case name, `text` the payload of `denied` and `other`."""

    def __init__(self, case: str, text: str = "") -> None:
        super().__init__("%s: %s" % (case, text) if text else case)
        self.case = case
        self.text = text


def _error(exc: OSError) -> TcpError:
    """The `tcp-error` of a socket error."""
    if isinstance(exc, socket.timeout):
        return TcpError("timeout")
    code = exc.errno
    if code == errno.ECONNREFUSED:
        return TcpError("refused")
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return TcpError("unreachable")
    if code in (errno.ETIMEDOUT, errno.EAGAIN, errno.EWOULDBLOCK, errno.EINPROGRESS):
        return TcpError("timeout")
    if code in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
        return TcpError("reset")
    if code in (errno.EBADF, errno.ENOTCONN):
        return TcpError("closed")
    return TcpError("other", str(exc))


def _seconds(timeout_ms: int) -> float:
    return timeout_ms / 1000.0


class Connection:
    """One TCP connection (`tcp.connection`). Every method raises `TcpError`."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def read(self, max_bytes: int, timeout_ms: int) -> bytes:
        """At most `max_bytes`, waiting at most `timeout_ms` for at least one (0: only what
        has arrived); b"" at the end of the stream."""
        if max_bytes == 0:
            raise TcpError("other", "read of at most 0 bytes")
        try:
            self._sock.settimeout(_seconds(timeout_ms) if timeout_ms else 0.0)
            return self._sock.recv(min(max_bytes, MAX_READ))
        except OSError as exc:
            raise _error(exc) from None

    def write(self, data: bytes, timeout_ms: int) -> None:
        """All of `data` within `timeout_ms` in all; 0: what the socket takes at once."""
        view = memoryview(data)
        deadline = time.monotonic() + _seconds(timeout_ms)
        try:
            while view:
                remaining = deadline - time.monotonic()
                if timeout_ms == 0:
                    self._sock.settimeout(0.0)
                elif remaining <= 0:
                    raise TcpError("timeout")
                else:
                    self._sock.settimeout(remaining)
                sent = self._sock.send(view)
                view = view[sent:]
        except OSError as exc:
            raise _error(exc) from None

    def local_address(self) -> Tuple[IpAddress, int]:
        try:
            host, port = self._sock.getsockname()[:2]
        except OSError as exc:
            raise _error(exc) from None
        return ipaddress.ip_address(host), port

    def remote_address(self) -> Tuple[IpAddress, int]:
        try:
            host, port = self._sock.getpeername()[:2]
        except OSError as exc:
            raise _error(exc) from None
        return ipaddress.ip_address(host), port

    def close(self) -> None:
        self._sock.close()


def connect(
    remote: IpAddress,
    port: int,
    local: Optional[IpAddress],
    timeout_ms: int,
    egress: Optional[EgressPolicy] = None,
) -> Connection:
    """Connect to `remote`:`port` from `local` (when given) within `timeout_ms`; 0 returns only
    a connection established at once. TCP_NODELAY is set: the component batches its writes."""
    if egress is not None:
        reason = egress(remote, port)
        if reason is not None:
            raise TcpError("denied", reason)
    family = socket.AF_INET if remote.version == 4 else socket.AF_INET6
    if local is not None and local.version != remote.version:
        raise TcpError("denied", "local address %s is not of the family of %s" % (local, remote))
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if local is not None:
            sock.bind((str(local), 0))
        if timeout_ms == 0:
            _connect_at_once(sock, (str(remote), port))
        else:
            sock.settimeout(_seconds(timeout_ms))
            sock.connect((str(remote), port))
    except OSError as exc:
        sock.close()
        raise _error(exc) from None
    except TcpError:
        sock.close()
        raise
    return Connection(sock)


def _connect_at_once(sock: socket.socket, address: Tuple[str, int]) -> None:
    """A non-blocking connect that must complete without waiting."""
    sock.setblocking(False)
    code = sock.connect_ex(address)
    if code in (errno.EINPROGRESS, errno.EWOULDBLOCK):
        _, writable, _ = select.select([], [sock], [], 0)
        if not writable:
            raise TcpError("timeout")
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code != 0:
        raise _error(OSError(code, errno.errorcode.get(code, str(code))))
