"""The outcome of grading one submission, kept in ``autograded/<student>/<assignment>/grading.json``.

The nbgrader gradebook stays the record of points (formgrader edits it); this file adds what the gradebook has no
place for: how grading went (a status and a reason), the failure message of each test cell, timings, and the
content hashes that let a re-run skip unchanged submissions.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRADING_FILE = "grading.json"

# Statuses, from best to worst. Every student folder in submitted/ ends with one of them after autograde.
GRADED = "graded"                # executed; every test cell scored
MISSING = "missing"              # no submission folder, or no notebook in it: scored 0
INVALID = "invalid"              # not valid JSON or not a notebook: scored 0
REJECTED = "rejected"            # the folder broke the rules (a link or special file as notebook, too many or too
                                 # large files): nothing read past what was allowed, scored 0
TIMED_OUT = "timed_out"          # a cell hit the per-cell limit, or the notebook the per-notebook limit
KERNEL_DIED = "kernel_died"      # the kernel process died (crash, os._exit, out of memory)
ERROR = "error"                  # the grader itself failed: points left for manual grading; retried on re-run

STATUSES = (GRADED, MISSING, INVALID, REJECTED, TIMED_OUT, KERNEL_DIED, ERROR)
LABELS = {
    GRADED: "graded",
    MISSING: "missing notebook",
    INVALID: "invalid notebook",
    REJECTED: "submission refused",
    TIMED_OUT: "timed out",
    KERNEL_DIED: "kernel died",
    ERROR: "grading error",
}
#: Statuses whose test-cell scores came from executing the notebook (possibly only partly).
EXECUTED = (GRADED, TIMED_OUT, KERNEL_DIED)
#: Statuses of a submission that was never executed: every test cell scored 0, nothing to review but the reason.
NOT_RUN = (MISSING, INVALID, REJECTED)


def worst(statuses) -> str:
    """The most serious of ``statuses`` (``graded`` when empty)."""
    statuses = list(statuses)
    return max(statuses, key=STATUSES.index) if statuses else GRADED


@dataclass
class CellResult:
    """One graded cell: what autograde gave it and why it lost points."""

    notebook: str
    grade_id: str
    score: float | None
    max_score: float
    messages: list[str] = field(default_factory=list)


@dataclass
class GradingResult:
    student: str
    assignment: str
    status: str
    reason: str = ""
    content_hash: str = ""       # of the submission folder
    assignment_hash: str = ""    # of what grading depends on: source notebooks and the gradebook's cells
    cells: list[CellResult] = field(default_factory=list)
    seconds: float = 0.0         # worker time for the whole submission
    cell_seconds: float = 0.0    # of which executing cells
    graded_at: str = ""
    worker: str = ""
    limits: dict = field(default_factory=dict)  # the time limits it was graded with (cell, notebook)
    isolation: dict = field(default_factory=dict)  # what the worker applied: {"sandboxed": bool, "limits": {...}}

    @property
    def label(self) -> str:
        return LABELS.get(self.status, self.status)

    @property
    def score(self) -> float:
        return sum(c.score or 0.0 for c in self.cells)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> GradingResult:
        data = dict(data)
        data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def path(autograded_dir: Path) -> Path:
    return autograded_dir / GRADING_FILE


def load(autograded_dir: Path) -> GradingResult | None:
    """The recorded result in ``autograded_dir``, or None if there is none (or it is unreadable)."""
    try:
        return GradingResult.from_dict(json.loads(path(autograded_dir).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def save(result: GradingResult, autograded_dir: Path) -> Path:
    """Write ``result`` atomically (a half-written file never replaces a good one)."""
    autograded_dir.mkdir(parents=True, exist_ok=True)
    target = path(autograded_dir)
    fd, tmp = tempfile.mkstemp(dir=autograded_dir, prefix=".grading-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(result.to_json())
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target


# --- reading an executed notebook --------------------------------------------------------------------------------
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MESSAGE_LIMIT = 2000


def _clip(text: str) -> str:
    text = ANSI.sub("", text).strip()
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + " [...]"


def cell_messages(cell) -> list[str]:
    """Why a test cell lost points, without its source: the error name and value, or what it printed to stderr.

    Never a traceback: IPython tracebacks quote the lines of the cell, hidden tests included.
    """
    messages = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            messages.append(_clip(f"{output.ename}: {output.evalue}" if output.evalue else output.ename))
        elif output.output_type == "stream" and output.name == "stderr":
            messages.append(_clip(f"printed to stderr: {output.text}"))
    return messages


def cell_results(notebook_name: str, notebook) -> list[CellResult]:
    """Every graded cell of an executed notebook, scored as nbgrader scores it, with its failure messages."""
    from nbgrader.utils import determine_grade, is_grade

    cells = []
    for cell in notebook.cells:
        if is_grade(cell):
            score, max_score = determine_grade(cell)
            messages = cell_messages(cell) if cell.cell_type == "code" else []
            if cell.cell_type == "code" and not messages and score is not None and score < max_score:
                messages = partial_messages(cell)
            cells.append(CellResult(notebook_name, cell.metadata["nbgrader"]["grade_id"], score, float(max_score),
                                    messages))
    return cells


def partial_messages(cell) -> list[str]:
    """Why a test cell that ran without error earned part of its points: the failed hidden cases' messages, which
    the checks print (to stdout) instead of stopping the cell."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.name == "stdout")
    lines = [line for line in text.splitlines() if not line.startswith("\u2705")]
    return [_clip("\n".join(lines).strip())] if any(line.strip() for line in lines) else []


def zero_cells(notebook: dict, message: str, score: float | None = 0.0) -> list[CellResult]:
    """The graded cells of a notebook that could not run (from its gradebook snapshot), all at ``score``."""
    grade_ids = [c["name"] for c in notebook["grade_cells"]] + [c["name"] for c in notebook["task_cells"]]
    points = {c["name"]: float(c["max_score"]) for c in notebook["grade_cells"] + notebook["task_cells"]}
    return [CellResult(notebook["name"], g, score, points[g], [message] if message else []) for g in grade_ids]
