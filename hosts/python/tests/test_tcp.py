"""The `tcp` import on loopback: TCP_NODELAY, every timeout including 0, end of stream, reset,
refusal and the egress policy."""

import ipaddress
import socket
import struct
import threading
import time
import unittest

from smtpclient import tcp

LOOPBACK = ipaddress.ip_address("127.0.0.1")


class Peer:
    """A listening socket on 127.0.0.1 whose accepted connection the test drives."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]

    def accept(self) -> socket.socket:
        self.listener.settimeout(5)
        conn, _ = self.listener.accept()
        return conn

    def close(self) -> None:
        self.listener.close()


class TcpTest(unittest.TestCase):
    def setUp(self) -> None:
        self.peer = Peer()
        self.addCleanup(self.peer.close)

    def connect(self, timeout_ms: int = 2000):
        conn = tcp.connect(LOOPBACK, self.peer.port, None, timeout_ms)
        self.addCleanup(conn.close)
        server = self.peer.accept()
        self.addCleanup(server.close)
        return conn, server

    def test_nodelay_is_set(self) -> None:
        conn, _ = self.connect()
        self.assertEqual(conn._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1)

    def test_connect_with_zero_timeout_takes_a_loopback_connection_at_once(self) -> None:
        conn, server = self.connect(timeout_ms=0)
        server.sendall(b"220 hi\r\n")
        self.assertEqual(conn.read(100, 2000), b"220 hi\r\n")

    def test_refused(self) -> None:
        port = self.peer.port
        self.peer.close()
        for timeout_ms in (2000, 0):
            with self.assertRaises(tcp.TcpError) as caught:
                tcp.connect(LOOPBACK, port, None, timeout_ms)
            self.assertEqual(caught.exception.case, "refused")

    def test_egress_policy_denies_before_any_socket(self) -> None:
        with self.assertRaises(tcp.TcpError) as caught:
            tcp.connect(LOOPBACK, self.peer.port, None, 1000, egress=lambda ip, port: "no loopback")
        self.assertEqual((caught.exception.case, caught.exception.text), ("denied", "no loopback"))
        self.peer.listener.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            self.peer.listener.accept()

    def test_local_address_of_another_family_is_denied(self) -> None:
        with self.assertRaises(tcp.TcpError) as caught:
            tcp.connect(LOOPBACK, self.peer.port, ipaddress.ip_address("::1"), 1000)
        self.assertEqual(caught.exception.case, "denied")

    def test_local_address_is_bound(self) -> None:
        conn = tcp.connect(LOOPBACK, self.peer.port, ipaddress.ip_address("127.0.0.1"), 1000)
        self.addCleanup(conn.close)
        self.assertEqual(conn.local_address()[0], LOOPBACK)

    def test_read_with_zero_timeout_returns_what_arrived_or_timeout(self) -> None:
        conn, server = self.connect()
        with self.assertRaises(tcp.TcpError) as caught:
            conn.read(100, 0)
        self.assertEqual(caught.exception.case, "timeout")
        server.sendall(b"abc")
        time.sleep(0.05)
        self.assertEqual(conn.read(100, 0), b"abc")

    def test_read_timeout_leaves_the_connection_usable(self) -> None:
        conn, server = self.connect()
        started = time.monotonic()
        with self.assertRaises(tcp.TcpError) as caught:
            conn.read(100, 150)
        elapsed = time.monotonic() - started
        self.assertEqual(caught.exception.case, "timeout")
        self.assertGreaterEqual(elapsed, 0.14)
        self.assertLess(elapsed, 1.0)
        server.sendall(b"later")
        self.assertEqual(conn.read(100, 2000), b"later")

    def test_read_at_most_max(self) -> None:
        conn, server = self.connect()
        server.sendall(b"0123456789")
        time.sleep(0.05)
        self.assertEqual(conn.read(4, 1000), b"0123")
        self.assertEqual(conn.read(100, 1000), b"456789")

    def test_end_of_stream_is_empty(self) -> None:
        conn, server = self.connect()
        server.sendall(b"bye")
        server.close()
        self.assertEqual(conn.read(100, 1000), b"bye")
        self.assertEqual(conn.read(100, 1000), b"")
        self.assertEqual(conn.read(100, 0), b"")

    def test_reset(self) -> None:
        conn, server = self.connect()
        # SO_LINGER with a zero timeout: close sends RST.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server.close()
        time.sleep(0.05)
        with self.assertRaises(tcp.TcpError) as caught:
            conn.read(100, 1000)
        self.assertEqual(caught.exception.case, "reset")

    def test_write_to_a_peer_that_stops_reading_times_out(self) -> None:
        conn, _ = self.connect()
        data = b"x" * (64 << 20)
        started = time.monotonic()
        with self.assertRaises(tcp.TcpError) as caught:
            conn.write(data, 300)
        elapsed = time.monotonic() - started
        self.assertEqual(caught.exception.case, "timeout")
        self.assertLess(elapsed, 2.0)

    def test_write_with_zero_timeout_writes_what_fits_at_once(self) -> None:
        conn, server = self.connect()
        conn.write(b"small", 0)
        server.settimeout(2)
        self.assertEqual(server.recv(100), b"small")
        with self.assertRaises(tcp.TcpError) as caught:
            conn.write(b"x" * (64 << 20), 0)
        self.assertEqual(caught.exception.case, "timeout")

    def test_write_everything_to_a_slow_reader(self) -> None:
        conn, server = self.connect()
        data = bytes(range(256)) * 40000
        received = bytearray()

        def drain() -> None:
            while len(received) < len(data):
                time.sleep(0.001)
                chunk = server.recv(1 << 16)
                if not chunk:
                    return
                received.extend(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        conn.write(data, 10000)
        reader.join(10)
        self.assertEqual(bytes(received), data)

    def test_addresses(self) -> None:
        conn, server = self.connect()
        self.assertEqual(conn.remote_address(), (LOOPBACK, self.peer.port))
        self.assertEqual(conn.local_address(), (LOOPBACK, server.getpeername()[1]))


if __name__ == "__main__":
    unittest.main()
