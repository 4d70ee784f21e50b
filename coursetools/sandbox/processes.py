"""A process's descendants, read from ``/proc`` without looking at every process on the machine, and its CPU time.

psutil's ``children(recursive=True)`` reads the status of every process to find the children of one; the grader
asks for a sandbox's processes every few milliseconds while bubblewrap builds it, and twice per submission for its
CPU time. A process's descendants were all started after it, so their ids are larger than its own unless the
kernel's process ids wrapped around since then (``ns_last_pid`` below the process's id); then every process is read.
"""

from __future__ import annotations

import os
import time


def _parent(pid: int) -> int | None:
    """The parent of ``pid`` (None: it ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The name (between the parentheses) may hold spaces or parentheses: the fields start after the last ')'.
    fields = stat[stat.rfind(b")") + 2:].split()
    return int(fields[1]) if len(fields) > 1 else None


def _ids_wrapped_since(pid: int) -> bool:
    try:
        with open("/proc/sys/kernel/ns_last_pid") as f:
            return int(f.read()) < pid
    except (OSError, ValueError):
        return True  # cannot tell: read every process


def descendants(root: int) -> list[int]:
    """The ids of ``root``'s children, their children and so on (parents before their children)."""
    floor = 0 if _ids_wrapped_since(root) else root
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) > floor:
            parent = _parent(int(name))
            if parent is not None:
                children.setdefault(parent, []).append(int(name))
    found, frontier = [], [root]
    while frontier:
        below = [c for p in frontier for c in sorted(children.get(p, []))]
        found += below
        frontier = below
    return found


def name(pid: int) -> str | None:
    """The process's name (``comm``), None if it ended."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


#: A process's CPU clock as the scheduler counts it: Linux's clock id ``(~pid << 3) | CPUCLOCK_SCHED``, what glibc's
#: ``clock_getcpuclockid`` returns. Any process may read any visible process's clock.
_CPUCLOCK_SCHED = 2


def cpu_seconds(pid: int) -> float | None:
    """CPU-seconds the process ``pid`` has spent, all its threads, the ended ones included (None: it ended).

    Exact to the nanosecond. ``/proc/<pid>/stat`` (psutil's ``cpu_times``) counts in ticks of 10 ms and truncates:
    a sandbox's bubblewrap, which spends a few milliseconds, read as nothing, and every kernel's start-up as about
    10 ms less than it spent.
    """
    try:
        return time.clock_gettime(((~pid) << 3) | _CPUCLOCK_SCHED)
    except OSError:
        return None
