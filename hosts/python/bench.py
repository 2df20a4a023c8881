"""Benchmarks of the Python host, for the "hosts" table of BENCHMARKS.md.

    python hosts/python/bench.py [--messages N] [--component FILE.wasm]

Prints: compiling the component (uncached, from wasmtime's cache, deserializing a
serialized copy), instantiating it, one submission (`smtpclient.send`), one MX delivery
(`smtpclient.deliver`, MX answers from a table), and messages per second on one reused
connection (`smtpclient.connect`, then `Session.send` per message, 1 KiB each). The SMTP server is a
sink in another process (`bench.py --sink`): plaintext, PIPELINING, no CHUNKING. Timings are
medians of several runs and are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

MESSAGE = b"From: a@example.org\r\nTo: b@bench.test\r\nSubject: bench\r\n\r\n" + (b"x" * 70 + b"\r\n") * 13


# ---- the sink (another process) -------------------------------------------------------------


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 sink.bench.test ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink.bench.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            await reader.readuntil(b"\r\n.\r\n")
            writer.write(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 2.0.0 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 2.0.0 ok\r\n")
        if reader._buffer:  # type: ignore[attr-defined]  # pipelined: answer the group at once
            continue
        await writer.drain()
    writer.close()


async def _serve(port_file: str) -> None:
    server = await asyncio.start_server(_session, "127.0.0.1", 0, limit=1 << 24)
    Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


def start_sink(tmp: Path) -> "tuple[subprocess.Popen, int]":
    port_file = tmp / "sink.port"
    process = subprocess.Popen([sys.executable, __file__, "--sink", str(port_file)])
    deadline = time.monotonic() + 10
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the sink did not start")
        time.sleep(0.02)
    return process, int(port_file.read_text())


# ---- the client -----------------------------------------------------------------------------


class TableResolver:
    """MX bench.test → mx.bench.test → 127.0.0.1, not authentic."""

    def lookup_mx(self, name):
        from smtpclient.resolver import Answer, Mx, NotFound

        if name.rstrip(".") == "bench.test":
            return Answer([Mx(10, "mx.bench.test.")], False)
        raise NotFound(False)

    def lookup_ip(self, name, family):
        from smtpclient.resolver import Answer, NotFound

        if name.rstrip(".") == "mx.bench.test" and family in ("any", "ipv4"):
            return Answer([ipaddress.ip_address("127.0.0.1")], False)
        raise NotFound(False)

    def lookup_cname(self, name):
        from smtpclient.resolver import NotFound

        raise NotFound(False)

    lookup_txt = lookup_cname

    def lookup_tlsa(self, port, protocol, host):
        from smtpclient.resolver import NotFound

        raise NotFound(False)


def median_ms(samples: "list[float]") -> str:
    return "%.2f ms" % (statistics.median(samples) * 1000)


def timed(function, runs: int) -> "list[float]":
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sink", metavar="PORT_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=2000, help="messages on the reused connection")
    parser.add_argument("--component", help="the component file (default: the Rust build's)")
    args = parser.parse_args()
    if args.sink:
        asyncio.run(_serve(args.sink))
        return

    import tempfile

    import wasmtime
    from wasmtime.component import Component

    import smtpclient
    from smtpclient.component import Imports, Runtime, read_component
    from smtpclient.spool import BytesMessage

    wasm, info = read_component(args.component)
    from importlib.metadata import version

    print("component %s (%d bytes, sha256 %s), wasmtime %s" % (info.path, len(wasm), info.sha256[:16], version("wasmtime")))

    def compile_uncached() -> None:
        config = wasmtime.Config()
        config.consume_fuel = True
        Component(wasmtime.Engine(config), wasm)

    print("compile, uncached:          %s" % median_ms(timed(compile_uncached, 3)))
    runtime = Runtime.load(args.component)
    print("compile, wasmtime's cache:  %s" % median_ms(timed(lambda: Component(runtime.engine, wasm), 5)))
    serialized = bytes(runtime.component.serialize())
    print("deserialize:                %s" % median_ms(timed(lambda: Component.deserialize(runtime.engine, serialized), 5)))
    print("instantiate:                %s" % median_ms(timed(lambda: runtime.instantiate(Imports(None)), 50)))

    with tempfile.TemporaryDirectory() as tmp:
        sink, port = start_sink(Path(tmp))
        try:
            server = "127.0.0.1:%d" % port

            def submit() -> None:
                smtpclient.send(server, "a@example.org", ["b@bench.test"], MESSAGE, tls="none", component=args.component)

            submit()
            print("one submission:             %s" % median_ms(timed(submit, 30)))

            resolver = TableResolver()

            def deliver() -> None:
                smtpclient.deliver(
                    "a@example.org", ["b@bench.test"], MESSAGE, port=port, tls_level="may",
                    allow_private_addresses=True, dns=resolver, sts_cache=tmp, component=args.component,
                )

            deliver()
            print("one MX delivery:            %s" % median_ms(timed(deliver, 30)))

            rates, cpu = [], []
            for _ in range(3):
                with smtpclient.connect(server, tls="none", component=args.component) as session:
                    message = BytesMessage(MESSAGE)
                    started, started_cpu = time.perf_counter(), time.process_time()
                    for _ in range(args.messages):
                        session.send("a@example.org", ["b@bench.test"], message)
                    rates.append(args.messages / (time.perf_counter() - started))
                    cpu.append((time.process_time() - started_cpu) / args.messages)
            print(
                "reused connection, 1 KiB:   %.0f msgs/s, %.2f ms of client CPU a message (median of 3 runs of %d)"
                % (statistics.median(rates), statistics.median(cpu) * 1000, args.messages)
            )
        finally:
            sink.terminate()
            sink.wait()


if __name__ == "__main__":
    main()
