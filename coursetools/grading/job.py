"""What travels between the client and the workers: plain data, pickled by Dask.

* :class:`AssignmentKit`: everything a worker needs to grade any submission of one assignment (nbgrader's
  configuration and preprocessors, the gradebook rows sanitizing reads, the source folder's files, the course's
  source and release notebooks, the record of the hidden tests, and how to isolate and time-limit kernels). The
  client builds it once per batch and sends it to every worker once.
* :class:`Job`: one student's submission (its files, as read once by the client).
* :class:`JobResult` / :class:`NotebookOutcome`: what the worker found: per notebook a status and reason, the
  executed notebook with the grader's overrides applied, the sandbox's report and the integrity review.

Settings travel here, never through the worker's environment, so a worker on another machine applies exactly what
the client announced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbformat import NotebookNode
from traitlets.config import Config

from ..integrity import Record, Review
from ..sandbox import SandboxSettings
from .folder import FolderLimits
from .results import worst


@dataclass(frozen=True)
class GradingSettings:
    """How submissions are run: isolation and limits, the wall-clock limit of a whole notebook (seconds), and how
    much of a submission folder the client reads."""

    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    notebook_timeout: float | None = 600.0
    folder: FolderLimits = field(default_factory=FolderLimits)


@dataclass
class AssignmentKit:
    """Everything needed to grade any submission of one assignment; sent to each worker once per batch."""

    assignment: str
    config: Config                        # the course's nbgrader configuration (cell time limit included)
    sanitize: list                        # nbgrader's sanitizing preprocessor classes, in order
    execute: list                         # nbgrader's executing preprocessor classes, in order (not the writers)
    snapshot: dict[str, dict]             # notebook name -> the gradebook rows that sanitizing reads
    files: dict[str, bytes]               # the source folder's other files, by relative path
    settings: GradingSettings
    record: Record | None = None          # the hidden tests' record (None: unsandboxed, or no reference)
    source: dict[str, NotebookNode] = field(default_factory=dict)   # notebook name -> source notebook
    release: dict[str, NotebookNode] = field(default_factory=dict)  # notebook name -> release notebook
    db_url: str = ""                      # for the resources nbgrader's preprocessors expect; never opened there


@dataclass
class Job:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    notebooks: dict[str, bytes | None]    # notebook name -> submitted file (None: not submitted)
    files: dict[str, bytes]               # the submission's other files, by relative path
    prewarm: bool = True                  # start the kernel of the next submission when this one starts


@dataclass
class NotebookOutcome:
    name: str
    status: str
    reason: str = ""
    executed: NotebookNode | None = None  # the executed notebook, the grader's overrides applied
    cell_seconds: float = 0.0
    sandbox: dict | None = None           # coursetools.sandbox.report of its kernel, taken after the kernel stopped
    review: Review | None = None          # the integrity review, made on the worker before anything is written


@dataclass
class JobResult:
    student: str
    assignment: str
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""
    profile: dict[str, float] = field(default_factory=dict)  # CPU-seconds by phase (see worker.Phases)

    @property
    def status(self) -> str:
        return worst(n.status for n in self.notebooks)

    @property
    def reason(self) -> str:
        bad = [n for n in self.notebooks if n.status == self.status and n.reason]
        if len(self.notebooks) == 1 or not bad:
            return bad[0].reason if bad else ""
        return "; ".join(f"{n.name}.ipynb: {n.reason}" for n in bad)
