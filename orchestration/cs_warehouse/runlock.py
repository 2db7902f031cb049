"""One nightly at a time per warehouse: an OS file lock beside the warehouse file.

The lock is `fcntl.flock` on `<warehouse file>.lock`. The holder writes its pid, host, start time and
command into the file, so a second run can say who holds it. The OS releases the lock when the holder's
process ends, however it ends (a killed run never leaves a stale lock behind).

A process holds the lock at most once: taking it again in the same process (the CLI holds it, then the
ingestion step of its in-process run asks for it) is a no-op.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# EX_TEMPFAIL (sysexits.h): "try again later".
LOCK_HELD_EXIT_CODE = 75

_held: dict[str, int] = {}


class LockHeldError(Exception):
    """Another process holds the warehouse lock."""

    def __init__(self, path: Path, holder: dict, waited_seconds: float):
        who = ", ".join(f"{k} {holder[k]}" for k in ("pid", "host", "started_at", "command") if holder.get(k))
        super().__init__(
            f"another run holds the warehouse lock {path} ({who or 'holder unknown'}); "
            f"waited {waited_seconds:g} s (CSW_LOCK_TIMEOUT_SECONDS)"
        )
        self.path = str(path)
        self.holder = holder


def lock_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(warehouse_path.name + ".lock")


def lock_timeout_seconds() -> float:
    """How long a second run waits for the lock before refusing; 0 (the default) refuses at once."""
    return float(os.environ.get("CSW_LOCK_TIMEOUT_SECONDS") or 0)


def read_holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextmanager
def warehouse_lock(
    warehouse_path: Path, command: str, timeout_seconds: float = 0.0, poll_seconds: float = 0.2
) -> Iterator[Path]:
    """Hold the warehouse lock for the block; wait up to `timeout_seconds`, then raise LockHeldError."""
    path = lock_path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    if key in _held:
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeldError(path, read_holder(path), timeout_seconds) from None
                time.sleep(poll_seconds)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        _held[key] = fd
        try:
            yield path
        finally:
            del _held[key]
    finally:
        os.close(fd)  # closing the descriptor releases the lock
