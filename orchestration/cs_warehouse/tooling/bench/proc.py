"""One measured command: wall time, CPU time and peak memory of its whole process tree."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measured:
    command: list[str]
    returncode: int | None
    wall_seconds: float
    cpu_seconds: float
    # Largest RSS of any single process of the tree (the kernel's ru_maxrss, exact).
    max_rss_single_mib: float
    # Largest sum of RSS over the tree at one moment (sampled), what the machine had to hold.
    peak_tree_rss_mib: float
    loadavg_start: tuple[float, float, float]
    loadavg_end: tuple[float, float, float]
    killed: str | None = None
    log: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed is None

    @property
    def peak_mib(self) -> float:
        return max(self.max_rss_single_mib, self.peak_tree_rss_mib)

    def as_dict(self) -> dict:
        return asdict(self) | {"ok": self.ok, "peak_mib": self.peak_mib}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        # statm field 2 = resident pages; cheaper than parsing status
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_kib(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        stack += _children(pid)
    return total


def run_measured(
    command: list[str],
    env: dict[str, str],
    log_path: Path,
    cwd: Path,
    memory_budget_mib: float | None = None,
    timeout_seconds: float | None = None,
    sample_seconds: float = 0.2,
) -> Measured:
    """Run `command` in a new session; stop it when its tree exceeds the memory budget or the timeout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    peak_kib = 0
    killed: str | None = None
    done = threading.Event()
    with log_path.open("w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

        def sample() -> None:
            nonlocal peak_kib, killed
            while not done.wait(sample_seconds):
                rss = tree_rss_kib(proc.pid)
                peak_kib = max(peak_kib, rss)
                over_memory = memory_budget_mib is not None and rss / 1024 > memory_budget_mib
                over_time = timeout_seconds is not None and time.perf_counter() - start > timeout_seconds
                if (over_memory or over_time) and killed is None:
                    killed = (
                        f"memory above the {memory_budget_mib:.0f} MiB budget"
                        if over_memory
                        else f"no result after {timeout_seconds:.0f} s"
                    )
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 rather than Popen.wait: its rusage covers the child and every descendant it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        command=command,
        returncode=proc.returncode,
        wall_seconds=round(wall, 3),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3),
        max_rss_single_mib=round(usage.ru_maxrss / 1024, 1),
        peak_tree_rss_mib=round(peak_kib / 1024, 1),
        loadavg_start=tuple(round(x, 2) for x in load_start),
        loadavg_end=tuple(round(x, 2) for x in os.getloadavg()),
        killed=killed,
        log=str(log_path),
    )
