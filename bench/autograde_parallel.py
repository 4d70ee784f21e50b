"""Benchmark: plain serial ``nbgrader autograde`` against ``python -m coursetools autograde --workers 2``.

Builds a class of at least 40 submissions of one assignment (correct alternatives and wrong variants from the
grading corpus, the reference, the untouched release, a notebook without its test cells, one invalid file and
one whose kernel dies), grades it three ways in the same run, from the same release and gradebook (serial nbgrader;
``--workers 2 --no-sandbox``, the like-for-like comparison, since nbgrader isolates nothing; and ``--workers 2``
sandboxed, the default), and prints for each parallel run:

* seconds per submission, each way (wall clock of the whole command, start-up included), and the speedup;
* the overhead per submission beyond executing its cells: serial, wall / n - cells; parallel, the worker time per
  submission (wall x workers / n) - cells, where "cells" is the mean time the kernel spent executing cells
  (from the cells' execution timestamps in the autograded notebooks);
* the CPU time of each run per submission (every process: grader, Dask workers, kernels), which other load on
  the machine disturbs less than wall-clock time;
* whether both gave identical scores (every grade of every submission nbgrader could grade; the submissions it
  could not grade must have a non-graded status here).

Targets on the 2-core machine: speedup >= 1.7, overhead < 1 s per submission (judged on the like-for-like run; the
sandboxed run's figures show what isolation costs). Exit code 1 if the scores differ.

    ./run python bench/autograde_parallel.py [--size 44] [--workers 2] [--assignment 01_numpy_basics] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursetools import samples  # noqa: E402
from coursetools.commands import release  # noqa: E402
from coursetools.course import settings  # noqa: E402
from coursetools.course.coursedir import CourseDir  # noqa: E402
from coursetools.course.notebooks import read_notebook  # noqa: E402
from coursetools.grading import results  # noqa: E402


def cell_seconds(path: Path) -> float | None:
    """Time the kernel spent executing the cells of an autograded notebook (execution timestamps)."""
    if not path.is_file():
        return None
    total = 0.0
    for cell in read_notebook(path).cells:
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if start and end:
            total += (datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
                      - datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return total


def grades(cd: CourseDir, assignment: str) -> dict[str, dict[str, float | None]]:
    with cd.gradebook() as gb:
        return {s.student_id: {g.name: g.auto_score for nb in s.notebooks for g in nb.grades}
                for s in gb.find_assignment(assignment).submissions}


CPU: dict[str, float] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], label: str) -> float:
    """Run a command; returns its wall-clock seconds and records its CPU seconds (kernels and workers included)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    print(f"[{label}] {' '.join(command[1:4])} ...", flush=True)
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    CPU[label] = _children_cpu() - cpu
    print(f"[{label}] {seconds:.1f} s, {CPU[label]:.1f} CPU-s (exit code {result.returncode})", flush=True)
    if label != "serial" and result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        raise SystemExit(f"{label} failed")
    return seconds


def compare(subs, serial: CourseDir, ours_cd: CourseDir, assignment: str, theirs: dict):
    """Every submission nbgrader graded has the same grades here; those it could not grade are not 'graded' here."""
    ours = grades(ours_cd, assignment)
    mismatches, compared, not_graded_by_nbgrader = [], 0, []
    for s in subs:
        notebook = serial.autograded_dir(s.student, assignment) / f"{assignment}.ipynb"
        recorded = results.load(ours_cd.autograded_dir(s.student, assignment))
        if notebook.is_file():
            compared += 1
            if theirs.get(s.student) != ours.get(s.student):
                mismatches.append(f"{s.student}: nbgrader {theirs.get(s.student)} != ours {ours.get(s.student)}")
            if recorded is None or recorded.status != results.GRADED:
                mismatches.append(f"{s.student}: graded by nbgrader but {recorded and recorded.status} here")
        else:
            not_graded_by_nbgrader.append(f"{s.student} ({recorded.status if recorded else 'no result'})")
            if recorded is None or recorded.status == results.GRADED:
                mismatches.append(f"{s.student}: nbgrader failed on it but it is 'graded' here")
    return mismatches, compared, not_graded_by_nbgrader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=settings.load().assignments[0])
    parser.add_argument("--size", type=int, default=44, help="submissions in the class (at least 40)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the class in this folder and keep it")
    parser.add_argument("--no-sandboxed-run", action="store_true", help="skip the third run (sandboxed, the default)")
    args = parser.parse_args(argv)
    assignment, n = args.assignment, max(40, args.size)

    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    if scratch.exists():
        shutil.rmtree(scratch)
    serial, parallel = CourseDir.open(scratch / "serial"), CourseDir.open(scratch / "parallel")
    release.release([assignment], serial, verify=False)
    subs = samples.bench_class(serial, assignment, n)
    samples.write(serial, assignment, subs)
    shutil.copytree(serial.root, parallel.root)
    parallel = CourseDir.open(parallel.root)
    sandboxed = None
    if not args.no_sandboxed_run:
        shutil.copytree(serial.root, scratch / "sandboxed")
        sandboxed = CourseDir.open(scratch / "sandboxed")
    kinds = {}
    for s in subs:
        kinds[s.student.split("-", 1)[1].split("-")[0]] = kinds.get(s.student.split("-", 1)[1].split("-")[0], 0) + 1
    print(f"class: {len(subs)} submissions of {assignment} ({', '.join(f'{v} {k}' for k, v in kinds.items())})")
    print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

    serial_s = run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--create",
                    f"--CourseDirectory.root={serial.root}", f"--CourseDirectory.db_url={serial.db_url}"], "serial")
    command = [sys.executable, "-m", "coursetools", "autograde", assignment, "--workers", str(args.workers),
               "--no-progress"]
    # Like for like first: serial nbgrader runs student code unisolated, so does this run. Then the default,
    # sandboxed, as instructors run it.
    parallel_s = run(command + ["--root", str(parallel.root), "--no-sandbox"], "parallel")
    sandboxed_s = run(command + ["--root", str(sandboxed.root)], "sandboxed") if sandboxed else None

    theirs = grades(serial, assignment)
    cells_serial = [c for c in (cell_seconds(serial.autograded_dir(s.student, assignment) / f"{assignment}.ipynb")
                                for s in subs) if c is not None]
    per_serial = serial_s / n
    print()
    print(f"submissions:                          {n}")
    print(f"serial nbgrader autograde:            {serial_s:7.1f} s   {per_serial:5.2f} s per submission; cells "
          f"{statistics.mean(cells_serial):.2f} s, overhead {per_serial - statistics.mean(cells_serial):.2f} s per "
          f"submission; {CPU['serial'] / n:.2f} CPU-s per submission")
    ok, all_same = True, True
    for label, cd, seconds in (("parallel", parallel, parallel_s), ("sandboxed", sandboxed, sandboxed_s)):
        if cd is None:
            continue
        mismatches, compared, not_graded_by_nbgrader = compare(subs, serial, cd, assignment, theirs)
        all_same &= not mismatches
        cells = [c for c in (cell_seconds(cd.autograded_dir(s.student, assignment) / f"{assignment}.ipynb")
                             for s in subs) if c is not None]
        per = seconds / n
        speedup = serial_s / seconds
        overhead = per * args.workers - statistics.mean(cells)
        worker = [r for r in (results.load(cd.autograded_dir(s.student, assignment)) for s in subs)
                  if r is not None and r.seconds]
        in_task = statistics.mean(r.seconds - r.cell_seconds for r in worker) if worker else float("nan")
        name = f"coursetools --workers {args.workers}" + (", sandboxed" if label == "sandboxed" else ", no sandbox")
        print(f"{name + ':':<38}{seconds:7.1f} s   {per:5.2f} s per submission; speedup {speedup:.2f}x; cells "
              f"{statistics.mean(cells):.2f} s; overhead {overhead:.2f} s of worker time per submission "
              f"(inside a task {in_task:.2f} s); " + (f"{CPU[label] / n:.2f} CPU-s per submission" if label != "sandboxed"
              else "CPU time not measured (killed sandboxed kernels are not reaped by this process tree)"))
        print(f"{'':<38}identical scores: {'yes' if not mismatches else 'NO'} ({compared} compared; nbgrader could "
              f"not grade {len(not_graded_by_nbgrader)}: {', '.join(not_graded_by_nbgrader)})")
        for line in mismatches:
            print("  " + line)
        met = speedup >= 1.7 and overhead < 1.0
        print(f"{'':<38}targets (speedup >= 1.7, overhead < 1 s): {'met' if met else 'NOT met'}")
        ok &= met or label == "sandboxed"
    print("(overhead: wall time x workers / submissions - mean time in cells; CPU-s: every process of the run)")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
