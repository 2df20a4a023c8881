"""The `spool.message` resource: a message the component reads in chunks, from offset 0 for
every transaction (`wit/spool.wit`), from a file or from bytes."""

from __future__ import annotations

import os
from typing import Optional, Union

from .errors import MessageUnavailable


class Message:
    """One message: exactly the bytes to send (headers and body)."""

    def size(self) -> Optional[int]:
        """The size in bytes, for SIZE (RFC 1870 §4); None when unknown."""
        raise NotImplementedError

    def read(self, offset: int, max_bytes: int) -> bytes:
        """At most `max_bytes` from `offset`; b"" past the end. `OSError` when unreadable."""
        raise NotImplementedError


class BytesMessage(Message):
    """A message held in memory."""

    def __init__(self, data: Union[bytes, bytearray, memoryview]) -> None:
        self._data = bytes(data)

    def size(self) -> Optional[int]:
        return len(self._data)

    def read(self, offset: int, max_bytes: int) -> bytes:
        return self._data[offset : offset + max_bytes]


class FileMessage(Message):
    """A message in a file, opened for each read so that it is never held whole and a
    removed file fails the transaction instead of sending stale data."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = os.fspath(path)
        try:
            self._size = os.stat(self.path).st_size
            with open(self.path, "rb"):
                pass
        except OSError as exc:
            raise MessageUnavailable("cannot read message file %s: %s" % (self.path, exc.strerror or exc)) from None

    def size(self) -> Optional[int]:
        return self._size

    def read(self, offset: int, max_bytes: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read(max_bytes)


def message_from(source: Union[Message, bytes, bytearray, memoryview, str, "os.PathLike[str]"]) -> Message:
    """A `Message` from bytes (the message itself), a path (a file), or a `Message`."""
    if isinstance(source, Message):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return BytesMessage(source)
    return FileMessage(source)
