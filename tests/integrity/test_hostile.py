"""The hostile corpus (tests/hostile/), graded end to end through the toolkit's autograde in a scratch course.

One batch holds every case next to honest students. For every case: the batch finishes; every student folder has a
result with a status (and a reason when not plainly graded); the honest students get exactly their honest scores
(no other student's result changes); no file outside the submission's working copy changes (the scratch course,
the repository's secrets, /tmp and the home folder are hashed before and after, and searched for what hostile code
writes); nothing reaches a TCP server listening on the grader's loopback; no case scores more than its honest
equivalent; every cheat and resource bomb is flagged, in integrity.json, the grades CSV (needs_manual_grade) and
the class report; honest and benign submissions are not flagged.

Tight limits keep it fast: 6 s per cell, 20 s of CPU, 2 GiB, 64 processes, 16 MiB files, 1 MiB of output.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coursetools import integrity, sandbox
from coursetools.course import settings
from coursetools.grading import results
from coursetools.grading.job import GradingSettings
from tests import hostile

pytestmark = pytest.mark.slow
ASSIGNMENT = hostile.ASSIGNMENT
REPO = settings.ROOT
LIMITS = sandbox.Limits(cpu_seconds=20, memory_bytes=2 << 30, processes=64, file_bytes=16 << 20, output_bytes=1 << 20)
SETTINGS = GradingSettings(sandbox=sandbox.SandboxSettings(limits=LIMITS), notebook_timeout=90)
CELL_TIMEOUT = 6
#: Grader outputs: written by the grader itself, not by student code.
GRADER_OUTPUTS = ("autograded", "feedback", "reports", "gradebook.db", "gradebook.db-journal", "gradebook.db-wal",
                  "gradebook.db-shm", ".coursetools")


class Listener:
    """A TCP server on the grader's loopback that records every connection (there must be none)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(1000) or b"<connected>")
                except OSError:
                    self.connections.append(b"<connected>")

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def _digest_tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    digests = {}
    if not root.exists():
        return digests
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] in skip or "__pycache__" in relative or ".pytest_cache" in relative:
            continue
        if path.is_file() and not path.is_symlink():
            digests[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _protected_files() -> list[Path]:
    """The repository's secrets and what a student could damage. Not the whole tree, nor its gradebook.db: other
    work may change those meanwhile (the gradebook is searched for what hostile code writes instead)."""
    paths = [REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", REPO / "helpers" / "checks" / "__init__.py",
             REPO / "helpers" / "reference" / "__init__.py", REPO / ".git" / "HEAD",
             REPO / "nbgrader_config.py", Path.home() / ".bashrc"]
    return [p for p in paths if p.exists()]


def _file_digests(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def _marker_found(roots: list[Path]) -> list[str]:
    """Files holding what the hostile code writes (the marker is assembled at run time, never in a notebook)."""
    found = []
    for root in roots:
        if not root.exists():
            continue
        # -a: binary files too (a gradebook.db the code appended to)
        result = subprocess.run(["grep", "-rla", "--exclude-dir=.venv", "--exclude-dir=__pycache__",
                                 "--exclude-dir=.git", hostile.MARKER, str(root)], capture_output=True, text=True)
        found += [line for line in result.stdout.splitlines() if line]
    return found


# --- the test --------------------------------------------------------------------------------------------------------
@pytest.fixture
def course(tmp_path):
    from coursetools.commands.release import release
    from coursetools.course.coursedir import CourseDir
    from coursetools.grading.scoring import solution_code

    root = tmp_path / "course"
    shutil.copytree(REPO / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    cd = CourseDir.open(root)
    release([ASSIGNMENT], cd, verify=False)
    return cd, solution_code(ASSIGNMENT)


def test_hostile_corpus(course, monkeypatch, capsys):
    from nbgrader.utils import is_grade

    from coursetools.course.notebooks import read_notebook
    from coursetools.grading.batch import autograde

    ok, reason = sandbox.available()
    assert ok, f"the hostile corpus needs the sandbox: {reason}"
    cd, reference = course
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
              for c in read_notebook(cd.source_notebook(ASSIGNMENT)).cells if is_grade(c)}
    listener = Listener()
    ctx = hostile.Context(release=hostile.release_json(cd.release_notebook(ASSIGNMENT)), reference=reference,
                          points=points, course_root=cd.root, repository=REPO, port=listener.port)
    cases = hostile.cases()
    for case in cases:
        hostile.write(case, ctx, cd.submitted)
    honest = {"reference": ctx.total, "wrong_softmax": ctx.total - points["test_softmax"], "zero": 0.0}

    integrity.record(ASSIGNMENT)  # once, before the batch (cached; autograde sends it to the workers)
    course_before = _digest_tree(cd.root, skip=GRADER_OUTPUTS)
    protected_before = _file_digests(_protected_files())
    tmp_before = set(os.listdir("/tmp"))

    start = time.perf_counter()
    batch = autograde(ASSIGNMENT, cd, workers=2, cell_timeout=CELL_TIMEOUT, settings=SETTINGS, progress=False)
    seconds = time.perf_counter() - start
    listener.close()

    subprocess.run([sys.executable, "-m", "coursetools", "grades", "--root", str(cd.root), "--quiet"], check=True,
                   cwd=REPO, capture_output=True, timeout=300)
    subprocess.run([sys.executable, "-m", "coursetools", "report", "--root", str(cd.root)], check=True, cwd=REPO,
                   capture_output=True, timeout=300)
    with open(cd.reports / "grades.csv", newline="", encoding="utf-8") as f:
        csv_rows = {row["student"]: row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}
    report_html = (cd.reports / "report.html").read_text(encoding="utf-8")

    problems = []
    summary = []
    flagged = 0
    for case in cases:
        result = results.load(cd.autograded_dir(case.name, ASSIGNMENT))
        review = integrity.load(cd.autograded_dir(case.name, ASSIGNMENT))
        codes = {f.code for f in review.flags}
        if result is None:
            problems.append(f"{case.name}: no result")
            continue
        score = result.score
        csv_score = float(csv_rows[case.name]["total"] or 0) if case.name in csv_rows else None
        needs_look = csv_rows.get(case.name, {}).get("needs_manual_grade") == "yes"
        summary.append(f"{case.name:30s} {result.status:12s} {score:5.1f}  {','.join(sorted(codes))}")
        if result.status not in case.statuses:
            problems.append(f"{case.name}: status {result.status} ({result.reason}), expected {case.statuses}")
        if result.status != results.GRADED and not result.reason:
            problems.append(f"{case.name}: status {result.status} without a reason")
        limit = honest[case.honest]
        if score > limit + 1e-9 or (csv_score is not None and csv_score > limit + 1e-9):
            problems.append(f"{case.name}: scored {score} (CSV {csv_score}), more than the honest {limit}")
        if case.exact and abs(score - limit) > 1e-9:
            problems.append(f"{case.name}: scored {score}, the honest score is {limit}")
        if case.kind in ("control", "benign"):
            if codes:
                problems.append(f"{case.name}: flagged although honest: {review.to_dict()['flags']}")
            if needs_look:
                problems.append(f"{case.name}: marked for manual grading although honest")
        else:
            if not codes & set(case.flags):
                problems.append(f"{case.name}: none of the flags {case.flags} (got {sorted(codes)})")
            if not needs_look and result.status == results.GRADED:
                problems.append(f"{case.name}: not marked for a look in the grades CSV")
            if case.name not in report_html:
                problems.append(f"{case.name}: not listed in the class report")
            flagged += bool(codes)
    # Nothing outside the working copies changed; nothing reached the network.
    course_after = _digest_tree(cd.root, skip=GRADER_OUTPUTS)
    changed = sorted(k for k in set(course_before) | set(course_after) if course_before.get(k) != course_after.get(k))
    if changed:
        problems.append(f"files of the course folder changed: {changed[:10]}")
    protected_after = _file_digests(_protected_files())
    if protected_after != protected_before:
        problems.append(f"protected files changed: {[k for k in protected_before if protected_before[k] != protected_after.get(k)]}")
    new_tmp = sorted(set(os.listdir("/tmp")) - tmp_before)
    # (autograded/ holds the executed notebooks, whose outputs may quote what the code tried: the grader's output)
    markers = [m for m in _marker_found([cd.root, REPO])
               if not any(f"/{part}/" in m for part in ("autograded", "feedback", "reports"))]
    markers += [f"/tmp/{n}" for n in new_tmp if hostile.MARKER in n]
    if markers:
        problems.append(f"hostile writes found outside the working copies: {markers[:10]}")
    if listener.connections:
        problems.append(f"the loopback server heard from a submission: {listener.connections[:3]}")

    hostile_cases = [c for c in cases if c.kind not in ("control", "benign")]
    with capsys.disabled():
        print(f"\nhostile corpus: {len(hostile_cases)} hostile cases, {flagged} flagged, "
              f"{len(cases)} students in the batch, {seconds:.1f} s\n" + "\n".join(summary))
    assert not problems, "\n".join(problems)
    assert len(hostile_cases) >= 25
    assert len(batch.results) == len(cases)
