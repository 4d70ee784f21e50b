"""The hostile corpus (tests/hostile/), graded end to end through the toolkit's autograde in a scratch course.

One batch holds every case next to honest students. For every case: the batch finishes; every student folder has a
result with a status (and a reason when not plainly graded); the honest students get exactly their honest scores
(no other student's result changes); no file outside the submission's working copy changes (the scratch course,
the repository's secrets, /tmp and the home folder are hashed before and after, and searched for what hostile code
writes); nothing reaches a TCP server listening on the grader's loopback; no case scores more than its honest
equivalent; every cheat and resource bomb is flagged, in integrity.json, the grades CSV (needs_manual_grade) and
the class report; honest and benign submissions are not flagged. Student text is inert where it goes: no CSV cell
starts a formula, no command prints a control character, no autograded notebook keeps HTML or JavaScript that
would run in formgrader; a root-only file a submission links to reaches no output; feedback shows no hidden test.

Tight limits keep it fast: 6 s per cell, 20 s of CPU, 2 GiB, 64 processes, 16 MiB files, 1 MiB of output.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coursetools import integrity, sandbox
from coursetools.course import settings
from coursetools.course.text import FORMULA_STARTS, csv_safe, terminal_safe
from coursetools.grading import results
from coursetools.grading.inert import SAFE_MIME
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
    """Digests of the regular files under ``root`` (links, pipes and devices are listed, never opened or followed;
    large files by size and time)."""
    digests = {}
    if not root.exists():
        return digests
    pending = [root]
    while pending:
        folder = pending.pop()
        for entry in os.scandir(folder):
            path = Path(entry.path)
            relative = path.relative_to(root).as_posix()
            if relative.split("/")[0] in skip or "__pycache__" in relative or ".pytest_cache" in relative:
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                pending.append(path)
            elif not stat.S_ISREG(info.st_mode):
                digests[relative] = f"special {stat.S_IFMT(info.st_mode)} {os.readlink(path) if entry.is_symlink() else ''}"
            elif info.st_size > 16 << 20:
                digests[relative] = f"size {info.st_size} mtime {info.st_mtime_ns}"
            else:
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


def _marker_found(roots: list[Path], marker: str = hostile.MARKER) -> list[str]:
    """Files holding ``marker``: what the hostile code writes (assembled at run time, never in a notebook)."""
    found = []
    for root in roots:
        if not root.exists():
            continue
        # -a: binary files too (a gradebook.db the code appended to)
        result = subprocess.run(["grep", "-rla", "-D", "skip", "--exclude-dir=.venv", "--exclude-dir=__pycache__",
                                 "--exclude-dir=.git", marker, str(root)], capture_output=True, text=True,
                                errors="surrogateescape")
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
    # A root-only file a submission links to: its content must reach no output (assembled here, in no file).
    secret_text = "-".join(("ROOT", "ONLY", "SECRET"))
    secret = cd.root.parent / "root-only.txt"
    secret.write_text(secret_text)
    os.chmod(secret, 0o600)
    ctx = hostile.Context(release=hostile.release_json(cd.release_notebook(ASSIGNMENT)), reference=reference,
                          points=points, course_root=cd.root, repository=REPO, port=listener.port, secret=secret)
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

    terminal = {"autograde": grading_summary(batch)}
    for command in (["grades"], ["report"], ["feedback", ASSIGNMENT]):
        done = subprocess.run([sys.executable, "-m", "coursetools", *command, "--root", str(cd.root)], check=True,
                              cwd=REPO, capture_output=True, timeout=300, text=True, errors="surrogateescape")
        terminal[command[0]] = done.stdout + done.stderr
    with open(cd.reports / "grades.csv", newline="", encoding="utf-8") as f:
        csv_cells = list(csv.reader(f))
    with open(cd.reports / "grades.csv", newline="", encoding="utf-8") as f:
        csv_rows = {row["student"]: row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}
    report_html = (cd.reports / "report.html").read_text(encoding="utf-8")

    problems = []
    # Student text is inert where it goes: the CSV, the terminal, the notebooks and pages the instructor opens.
    formulas = [c for row in csv_cells for c in row if c.startswith(FORMULA_STARTS)]
    if formulas:
        problems.append(f"CSV cells a spreadsheet reads as formulas: {formulas[:5]}")
    for command, text in terminal.items():
        controls = sorted({repr(c) for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0})
        if controls:
            problems.append(f"{command} printed control characters {controls}")
    problems += _active_content(cd)
    secrets = _marker_found([cd.root], secret_text)
    if secrets:
        problems.append(f"the root-only file's content reached: {secrets[:5]}")
    hidden = [str(p) for p in cd.feedback.rglob("*.html") if "BEGIN HIDDEN TESTS" in p.read_text(encoding="utf-8")]
    if hidden:
        problems.append(f"hidden tests in feedback pages: {hidden[:5]}")
    # A control's own score is the honest score of the cheats built on it.
    for case in cases:
        control = results.load(cd.autograded_dir(case.name, ASSIGNMENT)) if case.kind == "control" else None
        if control is not None:
            honest.setdefault(case.name, control.score)
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
        row = csv_rows.get(csv_safe(case.name))
        csv_score = float(row["total"] or 0) if row else None
        needs_look = (row or {}).get("needs_manual_grade") == "yes"
        if row is None:
            problems.append(f"{case.name!r}: no row in the grades CSV")
        summary.append(f"{terminal_safe(case.name, one_line=True)[:30]:30s} {result.status:12s} {score:5.1f}  "
                       f"{','.join(sorted(codes))}")
        earned = {c.grade_id: (c.score or 0.0) >= c.max_score for c in result.cells}
        lost = [g for g in case.keeps if not earned.get(g)]
        if lost:
            problems.append(f"{case.name}: lost the points it had earned in {lost}")
        if result.status not in case.statuses:
            problems.append(f"{case.name}: status {result.status} ({result.reason}), expected {case.statuses}")
        if result.status != results.GRADED and not result.reason:
            problems.append(f"{case.name}: status {result.status} without a reason")
        limit = honest[case.honest]
        if score > limit + 1e-9 or (csv_score is not None and csv_score > limit + 1e-9):
            problems.append(f"{case.name}: scored {score} (CSV {csv_score}), more than the honest {limit}")
        if case.exact and abs(score - limit) > 1e-9:
            problems.append(f"{case.name}: scored {score}, the honest score is {limit}")
        if case.kind in ("control", "benign") or (case.kind == "injection" and not case.flags):
            if codes:
                problems.append(f"{case.name!r}: flagged although honest: {review.to_dict()['flags']}")
            if needs_look:
                problems.append(f"{case.name!r}: marked for manual grading although honest")
        else:
            if not codes & set(case.flags):
                problems.append(f"{case.name}: none of the flags {case.flags} (got {sorted(codes)})")
            if not needs_look and result.status == results.GRADED:
                problems.append(f"{case.name}: not marked for a look in the grades CSV")
            if html.escape(case.name).encode("utf-8", "replace").decode() not in report_html:
                problems.append(f"{case.name!r}: not listed in the class report")
            flagged += bool(codes)
    # What the grader keeps of a notebook's outputs is bounded, errors included (they can be shown in a loop).
    bound = 8 * LIMITS.output_bytes
    oversized = [f"{p.relative_to(cd.root)} ({p.stat().st_size:,} bytes)" for folder in (cd.autograded, cd.feedback)
                 for p in folder.rglob("*") if p.is_file() and p.stat().st_size > bound]
    if oversized:
        problems.append(f"files larger than {bound:,} bytes: {oversized[:5]}")
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
    assert not problems, terminal_safe("\n".join(problems))
    assert len(hostile_cases) >= 60
    assert len(batch.results) == len(cases)


def grading_summary(batch) -> str:
    from coursetools.grading.batch import summary

    return summary(batch)


def _active_content(cd) -> list[str]:
    """What in the autograded notebooks would run in the instructor's browser (formgrader renders them)."""
    problems = []
    for path in cd.autograded.rglob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if "widgets" in notebook.get("metadata", {}):
            problems.append(f"{path.parent.parent.name!r}: widget state kept")
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                unsafe = set(output.get("data", {})) - set(SAFE_MIME)
                if unsafe:
                    problems.append(f"{path.parent.parent.name!r}: output of type {sorted(unsafe)} kept")
            text = "".join(cell["source"]).lower()
            if cell["cell_type"] == "markdown" and ("<script" in text or "<img" in text or
                                                    "javascript:" in text.replace("unsafe-javascript:", "")):
                problems.append(f"{path.parent.parent.name!r}: active HTML kept in a markdown cell")
            if cell["cell_type"] == "raw" and (cell.get("metadata", {}).get("format") or
                                               cell.get("metadata", {}).get("raw_mimetype")):
                problems.append(f"{path.parent.parent.name!r}: a raw cell still rendered as HTML")
    return problems
