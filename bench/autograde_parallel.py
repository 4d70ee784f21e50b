"""Benchmark: plain serial ``nbgrader autograde`` against ``python -m coursetools autograde --workers 2``.

Builds a class of at least 40 submissions of one assignment (correct alternatives and wrong variants from the
grading corpus, the reference, the untouched release, a notebook without its test cells, one invalid file and
one whose kernel dies), grades it both ways in the same run, from the same release and gradebook, and prints:

* seconds per submission, each way (wall clock of the whole command, start-up included), and the speedup;
* the overhead per submission beyond executing its cells: serial, wall / n - cells; parallel, the worker time per
  submission (wall x workers / n) - cells, where "cells" is the mean time the kernel spent executing cells
  (from the cells' execution timestamps in the autograded notebooks);
* the CPU time of each run per submission (every process: grader, Dask workers, kernels), which other load on
  the machine disturbs less than wall-clock time;
* whether both gave identical scores (every grade of every submission nbgrader could grade; the submissions it
  could not grade must have a non-graded status here).

Targets on the 2-core machine: speedup >= 1.7, overhead < 1 s per submission. Exit code 1 if the scores differ.

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

from coursetools import publish, results, sample_class, settings  # noqa: E402
from coursetools.coursedir import CourseDir  # noqa: E402
from coursetools.notebooks import read_notebook  # noqa: E402


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
    if label == "parallel" and result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        raise SystemExit(f"{label} failed")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=settings.load().assignments[0])
    parser.add_argument("--size", type=int, default=44, help="submissions in the class (at least 40)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the class in this folder and keep it")
    args = parser.parse_args(argv)
    assignment, n = args.assignment, max(40, args.size)

    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    if scratch.exists():
        shutil.rmtree(scratch)
    serial, parallel = CourseDir.open(scratch / "serial"), CourseDir.open(scratch / "parallel")
    publish.release([assignment], serial, verify=False)
    subs = sample_class.bench_class(serial, assignment, n)
    sample_class.write(serial, assignment, subs)
    shutil.copytree(serial.root, parallel.root)
    parallel = CourseDir.open(parallel.root)
    kinds = {}
    for s in subs:
        kinds[s.student.split("-", 1)[1].split("-")[0]] = kinds.get(s.student.split("-", 1)[1].split("-")[0], 0) + 1
    print(f"class: {len(subs)} submissions of {assignment} ({', '.join(f'{v} {k}' for k, v in kinds.items())})")
    print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

    serial_s = run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--create",
                    f"--CourseDirectory.root={serial.root}", f"--CourseDirectory.db_url={serial.db_url}"], "serial")
    parallel_s = run([sys.executable, "-m", "coursetools", "autograde", assignment, "--root", str(parallel.root),
                      "--workers", str(args.workers), "--no-progress"], "parallel")

    # identical scores
    theirs, ours = grades(serial, assignment), grades(parallel, assignment)
    mismatches, compared, not_graded_by_nbgrader = [], 0, []
    for s in subs:
        notebook = serial.autograded_dir(s.student, assignment) / f"{assignment}.ipynb"
        recorded = results.load(parallel.autograded_dir(s.student, assignment))
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

    cells_serial = [c for c in (cell_seconds(serial.autograded_dir(s.student, assignment) / f"{assignment}.ipynb")
                                for s in subs) if c is not None]
    cells_parallel = [c for c in (cell_seconds(parallel.autograded_dir(s.student, assignment) / f"{assignment}.ipynb")
                                  for s in subs) if c is not None]
    per_serial, per_parallel = serial_s / n, parallel_s / n
    speedup = serial_s / parallel_s
    overhead_serial = per_serial - statistics.mean(cells_serial)
    overhead_parallel = per_parallel * args.workers - statistics.mean(cells_parallel)
    worker = [r for r in (results.load(parallel.autograded_dir(s.student, assignment)) for s in subs)
              if r is not None and r.seconds]
    in_task = statistics.mean(r.seconds - r.cell_seconds for r in worker) if worker else float("nan")

    print()
    print(f"submissions:                          {n} ({compared} graded by both, "
          f"{len(not_graded_by_nbgrader)} that nbgrader could not grade: {', '.join(not_graded_by_nbgrader)})")
    print(f"serial nbgrader autograde:            {serial_s:7.1f} s   {per_serial:5.2f} s per submission")
    print(f"coursetools autograde --workers {args.workers}:    {parallel_s:7.1f} s   {per_parallel:5.2f} s per submission")
    print(f"speedup:                              {speedup:5.2f}x   (target >= 1.7)")
    print(f"cells executed per submission:        serial {statistics.mean(cells_serial):.2f} s, "
          f"parallel {statistics.mean(cells_parallel):.2f} s")
    print(f"overhead per submission beyond cells: serial {overhead_serial:.2f} s, parallel {overhead_parallel:.2f} s "
          f"of worker time (target < 1 s); inside a worker task {in_task:.2f} s")
    print(f"CPU time per submission:              serial {CPU['serial'] / n:.2f} s, parallel {CPU['parallel'] / n:.2f} s "
          f"(all processes: grader, workers, kernels; less sensitive to other load on the machine)")
    print(f"identical scores:                     {'yes' if not mismatches else 'NO'} ({compared} submissions compared)")
    for line in mismatches:
        print("  " + line)
    ok = speedup >= 1.7 and overhead_parallel < 1.0
    print(f"targets:                              {'met' if ok else 'NOT met'}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
