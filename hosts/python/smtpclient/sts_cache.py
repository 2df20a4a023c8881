"""The MTA-STS policy cache (RFC 8461 §5.1) in host-example's format: one JSON file
`<domain>.json` ({"id", "text", "fetched_at"}) per domain in a directory, by default
`$XDG_CACHE_HOME/smtpclient/mta-sts`, else `~/.cache/smtpclient/mta-sts`. The component
decides whether a cached policy is still valid; the cache stores what a delivery returned."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Optional

from wasmtime.component import Record

from .values import field, record

_SAFE_NAME = re.compile(r"^[A-Za-z0-9-][A-Za-z0-9.-]*$")


def default_dir() -> Optional[Path]:
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "smtpclient" / "mta-sts"
    home = os.environ.get("HOME")
    return Path(home) / ".cache" / "smtpclient" / "mta-sts" if home else None


class StsCache:
    def __init__(self, directory: os.PathLike) -> None:
        self.directory = Path(directory)

    def _file(self, domain: str) -> Optional[Path]:
        """None for a name that could leave the directory."""
        return self.directory / (domain + ".json") if _SAFE_NAME.match(domain) else None

    def get(self, domain: str) -> Optional[Record]:
        """The cached `mta-sts.sts-policy` of `domain`, if any and readable."""
        path = self._file(domain)
        if path is None:
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            return record(id=str(stored["id"]), text=str(stored["text"]), fetched_at=int(stored["fetched_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, domain: str, policy: Record) -> None:
        """Stores `policy`; a cache that cannot be written is skipped (the next delivery
        fetches the policy again)."""
        path = self._file(domain)
        if path is None:
            return
        stored = {"id": field(policy, "id"), "text": field(policy, "text"), "fetched_at": field(policy, "fetched_at")}
        temporary = path.with_suffix(".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(stored), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            try:
                temporary.unlink()
            except OSError:
                pass
