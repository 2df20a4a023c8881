"""The `log` import through the `logging` module: the SMTP transcript on the logger
`smtpclient.transcript` at INFO, the component's own lines on `smtpclient.component`."""

from __future__ import annotations

import logging

TRANSCRIPT = logging.getLogger("smtpclient.transcript")
COMPONENT = logging.getLogger("smtpclient.component")

#: The contract's levels (`log.level`) as `logging` levels.
LEVELS = {
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG - 5,
}

#: The transcript's direction markers, as host-example prints them.
ARROWS = {"client": "C: ", "server": "S: "}


def enabled(level: str) -> bool:
    """Whether lines of `level` are wanted; transcript lines count as "info"."""
    wanted = LEVELS[level]
    return COMPONENT.isEnabledFor(wanted) or (wanted >= logging.INFO and TRANSCRIPT.isEnabledFor(logging.INFO))


def transcript(direction: str, line: str) -> None:
    TRANSCRIPT.info("%s%s", ARROWS[direction], line)


def log(level: str, message: str) -> None:
    COMPONENT.log(LEVELS[level], "%s", message)
