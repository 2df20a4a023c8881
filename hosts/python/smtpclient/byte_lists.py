"""`list<u8>` between Python and the component at C speed.

The `wasmtime` wheel (50.0.1) converts a `list<u8>` one byte at a time in Python, about
0.5 µs a byte each way: a 1 MiB chunk of a message costs half a second, a 64 MiB message a
minute. Every byte of a message and of the connection is a `list<u8>` here (`spool.message
.read`, `tcp.connection.read` and `write`), so this module replaces the two conversions of the
wheel's `ListType` for byte lists with bulk copies: the C API's value of a list is an array of
`wasmtime_component_val_t` (a kind byte, then a union), which is filled or read with strided
slices of one buffer. Lists of other element types keep the wheel's conversion.

`install()` is idempotent; it checks the layout it relies on first and leaves the wheel
alone when the layout differs (a wheel other than the pinned one).
"""

from __future__ import annotations

import ctypes
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime.component import _types

_VALUE = ffi.wasmtime_component_val_t
_SIZE = ctypes.sizeof(_VALUE)
_KIND = _VALUE.kind.offset
_PAYLOAD = _VALUE.of.offset + ffi.wasmtime_component_valunion_t.u8.offset
_U8 = ffi.WASMTIME_COMPONENT_U8.value

_original_to_c = _types.ListType.convert_to_c
_original_from_c = _types.ListType.convert_from_c


def _to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    if not self._is_bytes():
        return _original_to_c(self, store, val, ptr)
    if not isinstance(val, (bytes, bytearray)):
        raise TypeError("expected bytes value")
    count = len(val)
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, count)
    if count:
        # The array the C API allocated, written in place: a kind and a payload byte each.
        array = (ctypes.c_ubyte * (count * _SIZE)).from_address(ctypes.addressof(raw.data.contents))
        values = memoryview(array).cast("B")
        values[_KIND::_SIZE] = bytes((_U8,)) * count
        values[_PAYLOAD::_SIZE] = val
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw


def _from_c(self: Any, c: Any) -> Any:
    if not self._is_bytes():
        return _original_from_c(self, c)
    assert c.kind == ffi.WASMTIME_COMPONENT_LIST.value
    try:
        count = c.of.list.size
        if not count:
            return b""
        return ctypes.string_at(c.of.list.data, count * _SIZE)[_PAYLOAD::_SIZE]
    finally:
        # The elements own nothing: deleting the list frees the array alone.
        ffi.wasmtime_component_vallist_delete(ctypes.byref(c.of.list))


def _layout_is_known() -> bool:
    return (_SIZE, _KIND, _PAYLOAD) == (32, 0, 8) and ctypes.sizeof(ffi.wasmtime_component_valkind_t) == 1


def install() -> bool:
    """Use the bulk conversions; False (and the wheel's own) when the layout is not the one
    this was written for."""
    if not _layout_is_known():
        return False
    _types.ListType.convert_to_c = _to_c  # type: ignore[method-assign]
    _types.ListType.convert_from_c = _from_c  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """The wheel's own conversions again (for tests comparing both)."""
    _types.ListType.convert_to_c = _original_to_c  # type: ignore[method-assign]
    _types.ListType.convert_from_c = _original_from_c  # type: ignore[method-assign]
