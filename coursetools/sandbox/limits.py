"""What a sandboxed kernel may use, and whether there is a sandbox at all: plain data that travels with each job.

The client (the instructor's command) decides these once for a batch and sends them to every worker with the
jobs, so that a worker on another machine (``--scheduler``) applies exactly what the client announced, whatever its
own environment holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30

@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use (course.toml's ``[sandbox.limits]`` and ``--limit`` change them)."""

    cpu_seconds: int = 600            # CPU time of the kernel process (SIGXCPU, then SIGKILL 5 s later)
    memory_bytes: int = 4 * GiB       # address space of each process: a larger allocation raises MemoryError
    processes: int = 128              # processes and threads of the sandbox's user: a fork bomb gets EAGAIN
    file_bytes: int = 256 * MiB       # largest file it may write (EFBIG beyond)
    open_files: int = 1024
    output_bytes: int = 8 * MiB       # output the grader keeps from the whole notebook; the rest is discarded
    tmp_bytes: int = 256 * MiB        # size of the private /tmp

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_overrides(self, overrides: Mapping[str, int | float | str]) -> Limits:
        """These limits with some replaced (``{"cpu_seconds": 60}``); unknown names raise ValueError."""
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise ValueError(f"unknown sandbox limit(s) {unknown}; the limits are {self.names()}")
        return replace(self, **{k: int(float(v)) for k, v in overrides.items()})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def describe(self) -> str:
        return (f"CPU {self.cpu_seconds} s, memory {self.memory_bytes / GiB:.3g} GiB, {self.processes} processes, "
                f"files {self.file_bytes / MiB:.0f} MiB, output {self.output_bytes / MiB:.3g} MiB")


@dataclass(frozen=True)
class SandboxSettings:
    """How submissions' kernels are isolated: decided by the client, carried to the worker in every job.

    ``enabled`` is False only when the instructor asked for it (``--no-sandbox``). ``show`` and ``hide`` add folders
    to what the sandbox shows read-only, or hide paths inside shown ones; ``bwrap`` is the bubblewrap binary (None:
    ``bwrap`` on the worker's PATH). ``warm`` forks each kernel from a template that has imported the kernel's
    libraries (:mod:`.warm`; the sandbox is the same) instead of starting a fresh Python.
    """

    enabled: bool = True
    limits: Limits = field(default_factory=Limits)
    show: tuple[Path, ...] = ()
    hide: tuple[Path, ...] = ()
    bwrap: str | None = None
    warm: bool = True

    def describe(self) -> str:
        return f"limits: {self.limits.describe()}" if self.enabled else "no sandbox"
