"""The component in the `wasmtime` wheel: finding and compiling the `.wasm` (once per
process), the linker with WASI p2 and our four imports, and one instance per operation.

The imports are plain functions of the linker. What differs between operations (the
resolver, the egress policy) is found through the operation that is running on the calling
thread (`Imports`, made current by `Instance.call`); the resources the host made
(connections, messages) live in one process-wide table keyed by their `rep`, so that their
destructor works whenever wasmtime runs it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import wasmtime
from wasmtime import Config, Engine, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, Linker, Record, ResourceAny, ResourceHost, ResourceType, Variant

from . import byte_lists
from . import log as log_import
from . import resolver as dns
from . import tcp
from .errors import ComponentError, ComponentUnavailable
from .spool import Message
from .values import field, ip_address, ip_from_wit, record, socket_address

byte_lists.install()

#: The contract this host implements.
PACKAGE = "smtp:client"
VERSION = "0.2.0"
#: The environment variable naming the component file (as for host-example's build).
COMPONENT_ENV = "SMTPCLIENT_COMPONENT"
#: Where the Rust build puts the component, relative to the repository.
BUILT_COMPONENT = Path("target/component/wasm32-wasip2/component/smtpclient.wasm")
#: The most linear memory one instance may use (as host-example's command line).
MAX_GUEST_MEMORY = 64 * 1024 * 1024
#: The guest's CPU budget for one operation, in wasmtime fuel (about one unit per wasm
#: instruction; time blocked in the imports costs none): far more than a delivery of a large
#: message over several TLS sessions needs, so that only a guest stuck in a loop runs out.
#: `$SMTPCLIENT_GUEST_FUEL` replaces it.
GUEST_FUEL = 200_000_000_000
FUEL_ENV = "SMTPCLIENT_GUEST_FUEL"

#: Host resource types (`ResourceType.host` identifiers).
CONNECTION = 1
MESSAGE = 2


def interface(name: str) -> str:
    """The full name of one of our interfaces, e.g. "smtp:client/tcp@0.2.0"."""
    return "%s/%s@%s" % (PACKAGE, name, VERSION)


def default_component_path() -> Path:
    """`$SMTPCLIENT_COMPONENT`, else the Rust build's output in the repository this package
    lives in (hosts/python/smtpclient/ → the repository root)."""
    named = os.environ.get(COMPONENT_ENV)
    if named:
        return Path(named)
    return Path(__file__).resolve().parents[3] / BUILT_COMPONENT


# ---- resources of the host ---------------------------------------------------------------


class _Table:
    """Host resources by rep, shared by all stores of the process."""

    def __init__(self) -> None:
        self._items: Dict[int, Any] = {}
        self._next = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, item: Any) -> int:
        with self._lock:
            rep = next(self._next) & 0xFFFFFFFF
            self._items[rep] = item
            return rep

    def get(self, rep: int) -> Any:
        with self._lock:
            return self._items[rep]

    def pop(self, rep: int) -> Any:
        with self._lock:
            return self._items.pop(rep, None)


_CONNECTIONS = _Table()
_MESSAGES = _Table()


class Imports:
    """What the imports use during one operation: the resolver, the egress policy, and the
    resources made for it (closed when the operation ends)."""

    def __init__(self, resolver: Any, egress: Optional[tcp.EgressPolicy] = None) -> None:
        self.resolver = resolver
        self.egress = egress
        self._connections: List[int] = []
        self._messages: List[int] = []

    def connection(self, conn: tcp.Connection) -> ResourceHost:
        """An owned `tcp.connection` for the component."""
        rep = _CONNECTIONS.add(conn)
        self._connections.append(rep)
        return ResourceHost.own(rep, CONNECTION)

    def message(self, message: Message, owned: bool) -> ResourceHost:
        """A `spool.message` for the component, owned (in `outgoing`) or borrowed."""
        rep = _MESSAGES.add(message)
        self._messages.append(rep)
        return ResourceHost.own(rep, MESSAGE) if owned else ResourceHost.borrow(rep, MESSAGE)

    def close(self) -> None:
        """Close what the component did not drop (after a trap, say)."""
        for rep in self._connections:
            conn = _CONNECTIONS.pop(rep)
            if conn is not None:
                conn.close()
        for rep in self._messages:
            _MESSAGES.pop(rep)


_CURRENT = threading.local()


def _current() -> Imports:
    current = getattr(_CURRENT, "imports", None)
    if current is None:
        raise RuntimeError("an import was called outside an operation")
    return current


@contextmanager
def _running(imports: Imports) -> Iterator[None]:
    previous = getattr(_CURRENT, "imports", None)
    _CURRENT.imports = imports
    try:
        yield
    finally:
        _CURRENT.imports = previous


def _rep(store: Any, handle: ResourceAny) -> int:
    return handle.to_host(store).rep


# ---- tcp -----------------------------------------------------------------------------------


def _tcp_error(error: tcp.TcpError) -> Variant:
    """`tcp-error` (tagged: several cases without payload)."""
    if error.case in ("denied", "other"):
        return Variant(error.case, error.text)
    return Variant(error.case)


def _tcp_connect(store: Any, remote: Record, local: Optional[Variant], timeout_ms: int) -> Any:
    imports = _current()
    try:
        conn = tcp.connect(
            ip_from_wit(field(remote, "address")),
            field(remote, "port"),
            ip_from_wit(local) if local is not None else None,
            timeout_ms,
            imports.egress,
        )
    except tcp.TcpError as error:
        return _tcp_error(error)
    return imports.connection(conn)


def _tcp_read(store: Any, handle: ResourceAny, max_bytes: int, timeout_ms: int) -> Any:
    try:
        return _CONNECTIONS.get(_rep(store, handle)).read(max_bytes, timeout_ms)
    except tcp.TcpError as error:
        return _tcp_error(error)


def _tcp_write(store: Any, handle: ResourceAny, data: bytes, timeout_ms: int) -> Any:
    try:
        _CONNECTIONS.get(_rep(store, handle)).write(data, timeout_ms)
    except tcp.TcpError as error:
        return _tcp_error(error)
    return None


def _tcp_local_address(store: Any, handle: ResourceAny) -> Any:
    try:
        return socket_address(*_CONNECTIONS.get(_rep(store, handle)).local_address())
    except tcp.TcpError as error:
        return _tcp_error(error)


def _tcp_remote_address(store: Any, handle: ResourceAny) -> Any:
    try:
        return socket_address(*_CONNECTIONS.get(_rep(store, handle)).remote_address())
    except tcp.TcpError as error:
        return _tcp_error(error)


def _drop_connection(store: Any, rep: int) -> None:
    conn = _CONNECTIONS.pop(rep)
    if conn is not None:
        conn.close()


# ---- resolver ------------------------------------------------------------------------------


def _lookup_error(error: dns.LookupFailure) -> Variant:
    """`lookup-error` (tagged: two cases are records)."""
    if isinstance(error, dns.NotFound):
        return Variant("not-found", record(authentic=error.authentic))
    if isinstance(error, dns.Temporary):
        return Variant("temporary", record(extended_error=error.extended_error, message=error.message))
    return Variant("permanent", str(error))


def _lookup(lookup: Any, convert: Any, field_name: str = "records") -> Any:
    """The answer record (`<field_name>`, `authentic`) or the `lookup-error`."""
    try:
        answer = lookup()
    except dns.LookupFailure as error:
        return _lookup_error(error)
    return record(**{field_name: [convert(item) for item in answer.records], "authentic": answer.authentic})


def _lookup_cname(store: Any, name: str) -> Any:
    try:
        answer = _current().resolver.lookup_cname(name)
    except dns.LookupFailure as error:
        return _lookup_error(error)
    return record(target=answer.records[0], authentic=answer.authentic)


def _lookup_mx(store: Any, name: str) -> Any:
    return _lookup(
        lambda: _current().resolver.lookup_mx(name),
        lambda mx: record(preference=mx.preference, exchange=mx.exchange),
    )


def _lookup_ip(store: Any, name: str, family: str) -> Any:
    return _lookup(lambda: _current().resolver.lookup_ip(name, family), ip_address, "addresses")


def _lookup_tlsa(store: Any, port: int, protocol: str, host: str) -> Any:
    return _lookup(
        lambda: _current().resolver.lookup_tlsa(port, protocol, host),
        lambda t: record(usage=t.usage, selector=t.selector, matching_type=t.matching_type, data=t.data),
    )


def _lookup_txt(store: Any, name: str) -> Any:
    return _lookup(lambda: _current().resolver.lookup_txt(name), bytes)


# ---- log -----------------------------------------------------------------------------------


def _log_enabled(store: Any, level: str) -> bool:
    return log_import.enabled(level)


def _log_transcript(store: Any, direction: str, line: str) -> None:
    log_import.transcript(direction, line)


def _log_log(store: Any, level: str, message: str) -> None:
    log_import.log(level, message)


# ---- spool ---------------------------------------------------------------------------------


def _message_size(store: Any, handle: ResourceAny) -> Optional[int]:
    return _MESSAGES.get(_rep(store, handle)).size()


def _message_read(store: Any, handle: ResourceAny, offset: int, max_bytes: int) -> Any:
    """The bytes, or a description of why they cannot be read (result<list<u8>, string>:
    untagged, bytes or str)."""
    try:
        return _MESSAGES.get(_rep(store, handle)).read(offset, max_bytes)
    except OSError as exc:
        return "reading the message: %s" % exc


def _drop_message(store: Any, rep: int) -> None:
    _MESSAGES.pop(rep)


def _define_imports(linker: Linker) -> None:
    with linker.root() as root:
        with root.add_instance(interface("types")):
            pass
        with root.add_instance(interface("tcp")) as tcp_instance:
            tcp_instance.add_resource("connection", ResourceType.host(CONNECTION), _drop_connection)
            tcp_instance.add_func("connect", _tcp_connect)
            tcp_instance.add_func("[method]connection.read", _tcp_read)
            tcp_instance.add_func("[method]connection.write", _tcp_write)
            tcp_instance.add_func("[method]connection.local-address", _tcp_local_address)
            tcp_instance.add_func("[method]connection.remote-address", _tcp_remote_address)
        with root.add_instance(interface("resolver")) as resolver_instance:
            resolver_instance.add_func("lookup-cname", _lookup_cname)
            resolver_instance.add_func("lookup-mx", _lookup_mx)
            resolver_instance.add_func("lookup-ip", _lookup_ip)
            resolver_instance.add_func("lookup-tlsa", _lookup_tlsa)
            resolver_instance.add_func("lookup-txt", _lookup_txt)
        with root.add_instance(interface("log")) as log_instance:
            log_instance.add_func("enabled", _log_enabled)
            log_instance.add_func("transcript", _log_transcript)
            log_instance.add_func("log", _log_log)
        with root.add_instance(interface("spool")) as spool_instance:
            spool_instance.add_resource("message", ResourceType.host(MESSAGE), _drop_message)
            spool_instance.add_func("[method]message.size", _message_size)
            spool_instance.add_func("[method]message.read", _message_read)


# ---- the component -------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentInfo:
    """Which file was loaded: its path and the SHA-256 of its bytes."""

    path: str
    sha256: str


def read_component(path: Optional[os.PathLike] = None) -> "tuple[bytes, ComponentInfo]":
    """The component's bytes and what identifies them; `ComponentError` when unreadable."""
    location = Path(path) if path is not None else default_component_path()
    try:
        wasm = location.read_bytes()
    except OSError as exc:
        raise ComponentUnavailable("cannot read component %s: %s" % (location, exc.strerror or exc)) from None
    return wasm, ComponentInfo(str(location), hashlib.sha256(wasm).hexdigest())


class Runtime:
    """The compiled component with its engine and linker; one per component file and process
    (`Runtime.load`). Compiling takes about a second; wasmtime's cache, when it can be used,
    keeps the compiled code on disk for the next process."""

    _loaded: Dict[str, "Runtime"] = {}
    _lock = threading.Lock()

    def __init__(self, wasm: bytes, info: ComponentInfo) -> None:
        self.info = info
        config = Config()
        config.consume_fuel = True
        try:
            config.cache = True
        except WasmtimeError:
            pass  # no usable cache directory: compile every time
        self.engine = Engine(config)
        try:
            self.component = Component(self.engine, wasm)
        except WasmtimeError as exc:
            raise ComponentError("cannot compile component %s: %s" % (info.path, _first_line(exc))) from None
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        _define_imports(self.linker)

    @classmethod
    def load(cls, path: Optional[os.PathLike] = None) -> "Runtime":
        """The runtime of the component at `path` (default: `default_component_path()`),
        compiled on first use in this process."""
        wasm, info = read_component(path)
        with cls._lock:
            runtime = cls._loaded.get(info.sha256)
            if runtime is None:
                runtime = cls(wasm, info)
                cls._loaded[info.sha256] = runtime
            return runtime

    def instantiate(self, imports: Imports) -> "Instance":
        return Instance(self, imports)


def guest_fuel() -> int:
    """The fuel of one operation: `$SMTPCLIENT_GUEST_FUEL` or `GUEST_FUEL`."""
    text = os.environ.get(FUEL_ENV)
    if text is None:
        return GUEST_FUEL
    try:
        return int(text)
    except ValueError:
        raise ComponentError("%s must be a number of fuel units, got %r" % (FUEL_ENV, text)) from None


def _first_line(exc: BaseException) -> str:
    """wasmtime's error in one line: its causes ("wasm trap: all fuel consumed by
    WebAssembly"), without the backtrace; else its first line."""
    lines = [line.strip() for line in str(exc).strip().splitlines()]
    if "Caused by:" in lines:
        causes = [line for line in lines[lines.index("Caused by:") + 1 :] if line]
        return ": ".join(causes)
    return lines[0] if lines and lines[0] else type(exc).__name__


class Instance:
    """One instance in its own store, for one operation; its guest traps become
    `ComponentError`. Use as a context manager: leaving it closes what is left open."""

    def __init__(self, runtime: Runtime, imports: Imports) -> None:
        self.runtime = runtime
        self.imports = imports
        self.store = Store(runtime.engine)
        wasi = WasiConfig()
        wasi.inherit_stderr()
        self.store.set_wasi(wasi)
        self.store.set_limits(memory_size=MAX_GUEST_MEMORY)
        self.store.set_fuel(guest_fuel())
        try:
            with _running(imports):
                self._instance = runtime.linker.instantiate(self.store, runtime.component)
        except WasmtimeError as exc:
            raise ComponentError(
                "cannot instantiate component %s: %s" % (runtime.info.path, _first_line(exc))
            ) from None
        self._funcs: Dict[str, Any] = {}
        #: The guest trapped: the instance may not be entered again.
        self.trapped = False

    def __enter__(self) -> "Instance":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.imports.close()

    def _func(self, iface: str, name: str) -> Any:
        key = iface + "#" + name
        func = self._funcs.get(key)
        if func is None:
            parent = self._instance.get_export_index(self.store, interface(iface))
            index = None
            if parent is not None:
                index = self._instance.get_export_index(self.store, name, parent)
            func = self._instance.get_func(self.store, index) if index is not None else None
            if func is None:
                raise ComponentError(
                    "component %s does not export %s#%s" % (self.runtime.info.path, interface(iface), name)
                )
            self._funcs[key] = func
        return func

    def call(self, iface: str, name: str, *args: Any) -> Any:
        """Call the export `name` of our interface `iface`."""
        func = self._func(iface, name)
        with _running(self.imports):
            try:
                result = func(self.store, *args)
                func.post_return(self.store)
            except (WasmtimeError, wasmtime.Trap) as exc:
                self.trapped = True
                raise ComponentError("the component failed in %s: %s" % (name, _first_line(exc))) from None
        return result

    def drop(self, resource: ResourceAny) -> None:
        """Drop a resource the component returned (runs its destructor in the guest)."""
        with _running(self.imports):
            try:
                resource.drop(self.store)
            except (WasmtimeError, wasmtime.Trap) as exc:
                raise ComponentError("the component failed dropping a resource: %s" % _first_line(exc)) from None
