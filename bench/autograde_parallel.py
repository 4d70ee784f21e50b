"""Benchmark: plain serial ``nbgrader autograde`` against ``python -m coursetools autograde --workers 2``.

Builds a class of at least 40 submissions of one assignment (correct alternatives and wrong variants from the
grading corpus, the reference, the untouched release, a notebook without its test cells, one invalid file and
one whose kernel dies) and grades it four ways in the same run, from the same release and gradebook: serial
nbgrader; ``--workers 2 --no-sandbox``, the like-for-like comparison, since nbgrader isolates nothing;
``--workers 2`` sandboxed, the default (warm kernels, see ``coursetools/sandbox/warm.py``); and the same with
``--cold-kernels``, each kernel a fresh Python, which shows what the warm start saves. For each it prints, with the machine's load beside every figure:

* the wall clock of the whole command (start-up included) per submission, and the speed-up against serial nbgrader
  measured in the same run;
* the CPU time of every process of the run (grader, Dask, kernels, bubblewrap; killed sandboxes included: the
  command runs in a cgroup of its own when one can be made, see ``_measure.TreeCpu``), per submission;
* the cells' own time: the kernels' CPU-seconds while executing cells (measured on the kernel's process tree), and
  the cells' wall time from their execution timestamps; CPU per submission as a ratio of the cells' CPU; and, for
  scale, the sandboxed run's CPU against the cold run's cells (a fresh Python's cells include the notebook's imports,
  which a warm kernel finds done);
* a profile of a submission's life: where each CPU-second of the sandboxed run goes (client, worker, kernel,
  sandbox), then what the batch spends once whatever its size (the command's start, the batch's set-up and end,
  the warm template, kernels that graded nothing), what no process's counter shows, and the CPU per submission
  without the once-per-batch part (what one more submission costs);
* the grader's peak memory (RSS of the client process);
* whether the scores are identical to nbgrader's (every grade of every submission nbgrader could grade; those it
  could not grade must have a non-graded status here). Exit code 1 if not.

``--repeat N`` runs each parallel way N times and prints the spread (median, min-max). ``--scaling`` grades classes
of 50 and 200 submissions sandboxed (``--large``: 800 too; not for CI) and prints time, CPU (with and without the
once-per-batch part) and memory per submission for each.

Targets on the 2-core machine: sandboxed at 2 workers at least 2.5x serial nbgrader (wall) with identical scores;
CPU per submission at most 1.3x the cells' own CPU time.

    ./run python bench/autograde_parallel.py [--size 44] [--workers 2] [--repeat 1] [--scaling] [--large]
                                             [--assignment 01_numpy_basics] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _measure import PeakRss, TreeCpu, load  # noqa: E402

from coursetools import samples  # noqa: E402
from coursetools.commands import release  # noqa: E402
from coursetools.course import settings  # noqa: E402
from coursetools.course.coursedir import CourseDir  # noqa: E402
from coursetools.course.notebooks import read_notebook  # noqa: E402
from coursetools.grading import results  # noqa: E402

SPEEDUP_TARGET = 2.5
CPU_RATIO_TARGET = 1.3

#: The profile's lines: (label, phases summed), in a submission's order, then what a batch spends once.
PROFILE = [
    ("client: read the folder, hash it", ["client.read_hash"]),
    ("client: gradebook write, autograded/ files", ["client.record"]),
    ("client: the rest (Dask's event loop: scheduler, client, workers; the kit)", ["client.other"]),
    ("worker: start the next kernel (jupyter_client)", ["worker.kernel_start"]),
    ("worker: parse, sanitize (nbgrader)", ["worker.sanitize"]),
    ("worker: execute (the cell loop, nbclient's message handling)", ["worker.execute"]),
    ("worker: the grader's service for the hidden tests (a thread per kernel)", ["worker.service"]),
    ("worker: stop the kernel, sandbox report", ["worker.kernel_stop"]),
    ("worker: integrity review, inert notebook", ["worker.review"]),
    ("worker: the rest (the Dask task around these)", ["worker.other"]),
    ("kernel: start-up and imports", ["kernel.startup"]),
    ("kernel: the cells", ["kernel.cells"]),
    ("sandbox: bubblewrap", ["sandbox.bwrap"]),
]
#: What a batch spends once, whatever its size (spread over its submissions in the profile).
FIXED = [
    ("once: the command's start (Python, the imports, its arguments)", ["client.before"]),
    ("once: the batch's set-up (the kit, the local cluster, the probe)", ["client.setup"]),
    ("once: the batch's end (the cluster closed, the spare kernels stopped)", ["client.teardown"]),
    ("once: the warm template (numpy, ipykernel, pyplot imported, then a fork per kernel)", ["sandbox.template"]),
    ("once: kernels that graded nothing (the probe's, the spares left at the end)", ["kernel.idle"]),
]
UNACCOUNTED = ("not in any process above (processes ending, bubblewrap's placeholders, the command's exit)",
               ["unaccounted"])


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


@dataclass
class Run:
    """One command of the benchmark, measured."""

    label: str
    seconds: float
    cpu: float | None
    cpu_source: str
    rss: int
    load_before: str
    load_after: str
    profile: dict = field(default_factory=dict)  # the batch's profile (coursetools runs), see grading.Batch
    graded: int = 0

    @property
    def cells_cpu(self) -> float:
        """The kernels' CPU-seconds while executing cells, per graded submission."""
        return self.profile.get("kernel.cells", 0.0) / max(1, self.graded)

    @property
    def cpu_ratio(self) -> float | None:
        """CPU per graded submission as a ratio of the cells' CPU (None if either was not measured)."""
        if self.cpu is None or not self.cells_cpu:
            return None
        return self.cpu / max(1, self.graded) / self.cells_cpu


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(command: list[str], label: str, profile_file: Path | None = None, check: bool = True) -> Run:
    """Run a command in a cgroup of its own; its wall-clock seconds, CPU seconds, peak RSS and the load around it."""
    print(f"[{label}] {' '.join(str(c) for c in command[1:5])} ...", flush=True)
    meter = TreeCpu(label)
    before = load()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=meter.enter)
    rss = PeakRss(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    peak = rss.stop()
    time.sleep(0.5)  # the last killed sandboxes end
    cpu = meter.seconds()
    meter.close()
    profile, graded = {}, 0
    if profile_file is not None and profile_file.is_file():
        data = json.loads(profile_file.read_text())
        profile, graded = data["profile"], data["graded"]
    result = Run(label, seconds, cpu, meter.source, peak, before, load())
    result.profile, result.graded = profile, graded
    print(f"[{label}] {seconds:.1f} s, " + (f"{cpu:.1f} CPU-s" if cpu is not None else "CPU not measured")
          + f", peak RSS of the grader {peak / 2**20:.0f} MiB (exit code {process.returncode}; load {before} -> "
          f"{result.load_after})", flush=True)
    if check and process.returncode != 0:
        print(out[-3000:], err[-3000:], sep="\n")
        raise SystemExit(f"{label} failed")
    return result


def coursetools_command(root: Path, assignment: str, workers: int, sandboxed: bool, profile: Path,
                        extra: tuple[str, ...] = ()) -> list[str]:
    """``python -m coursetools autograde`` as instructors run it, through ``_batch.py`` (which also writes the
    batch's profile): the same parser, the same call, the same imports in the workers."""
    return [sys.executable, str(ROOT / "bench" / "_batch.py"), str(profile), "--", assignment, "--root", str(root),
            "--workers", str(workers), "--no-progress", *([] if sandboxed else ["--no-sandbox"]), *extra]


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


def per_submission_profile(r: Run) -> dict[str, float]:
    """The run's CPU-seconds per graded submission, by phase, with the client's and workers' remainders and what
    no process above accounts for (the cgroup's total minus their sum)."""
    n = max(1, r.graded)
    p = {k: v / n for k, v in r.profile.items()}
    p["client.other"] = p.get("client.total", 0.0) - sum(
        p.get(k, 0.0) for k in ("client.read_hash", "client.record", "client.setup", "client.teardown"))
    listed = [k for k in p if k.startswith("worker.") and k != "worker.total"]
    p["worker.other"] = p.get("worker.total", 0.0) - sum(p[k] for k in listed)
    if r.cpu is not None:
        measured = p.get("client.total", 0.0) + p.get("worker.total", 0.0) + sum(
            p.get(k, 0.0) for k in ("client.before", "kernel.startup", "kernel.cells", "sandbox.bwrap",
                                    "sandbox.template", "kernel.idle"))
        p["unaccounted"] = r.cpu / n - measured
    return p


def fixed_cost(r: Run) -> float:
    """CPU-seconds the batch spent once (the lines of FIXED), in all."""
    return sum(r.profile.get(k, 0.0) for _, keys in FIXED for k in keys)


def print_profile(r: Run) -> None:
    p = per_submission_profile(r)
    total = r.cpu / max(1, r.graded) if r.cpu is not None else sum(
        p.get(k, 0.0) for _, ks in PROFILE + FIXED for k in ks)
    print(f"\nwhere a submission's CPU goes ({r.label}, {r.graded} submissions graded, load {r.load_before} -> "
          f"{r.load_after}; CPU-s per submission):")
    for label, keys in PROFILE + FIXED + [UNACCOUNTED]:
        value = sum(p.get(k, 0.0) for k in keys)
        print(f"  {label:<92}{value:6.3f}  {100 * value / total:5.1f} %")
    print(f"  {'total (' + r.cpu_source + ')':<92}{total:6.3f}")
    fixed = fixed_cost(r)
    if r.cpu is not None and r.cells_cpu:
        each = r.cpu / max(1, r.graded) - fixed / max(1, r.graded)
        print(f"  once per batch: {fixed:.2f} CPU-s in all; without it, {each:.3f} CPU-s per submission, "
              f"{each / r.cells_cpu:.2f}x the cells' CPU (what a submission adds to a batch of any size)")


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} (spread {fmt.format(min(values))}-{fmt.format(max(values))}, " \
           f"{len(values)} runs)"


def build_class(scratch: Path, assignment: str, n: int) -> tuple[CourseDir, list]:
    base = CourseDir.open(scratch / "base")
    release.release([assignment], base, verify=False)
    subs = samples.bench_class(base, assignment, n)
    samples.write(base, assignment, subs)
    return base, subs


def fresh_copy(base: CourseDir, target: Path) -> CourseDir:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base.root, target)
    return CourseDir.open(target)


def parallel_runs(base: CourseDir, scratch: Path, assignment: str, workers: int, sandboxed: bool, repeat: int,
                  label: str, extra: tuple[str, ...] = ()) -> tuple[list[Run], CourseDir]:
    runs, cd = [], base
    for k in range(repeat):
        cd = fresh_copy(base, scratch / f"{label}-{k}")
        profile = scratch / f"{label}-{k}.profile.json"
        runs.append(run(coursetools_command(cd.root, assignment, workers, sandboxed, profile, extra), label, profile))
    return runs, cd


def comparison(args, scratch: Path) -> bool:
    assignment, n = args.assignment, max(40, args.size)
    base, subs = build_class(scratch, assignment, n)
    kinds: dict[str, int] = {}
    for s in subs:
        kind = s.student.split("-", 1)[1].split("-")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"class: {len(subs)} submissions of {assignment} ({', '.join(f'{v} {k}' for k, v in kinds.items())})")
    print(f"machine: {os.cpu_count()} cores, load average {load()} (1/5/15 min)")

    serial = fresh_copy(base, scratch / "serial")
    serial_run = run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--create",
                      f"--CourseDirectory.root={serial.root}", f"--CourseDirectory.db_url={serial.db_url}"], "serial",
                     check=False)
    # Like for like first: serial nbgrader runs student code unisolated, so does this run. Then the default,
    # sandboxed, as instructors run it.
    parallel, parallel_cd = parallel_runs(base, scratch, assignment, args.workers, False, args.repeat, "parallel")
    sandboxed, sandboxed_cd = parallel_runs(base, scratch, assignment, args.workers, True, args.repeat, "sandboxed")
    # The same sandbox with every kernel started as a fresh Python: what the warm template saves, in the same run.
    cold, cold_cd = parallel_runs(base, scratch, assignment, args.workers, True, args.repeat, "cold",
                                  ("--cold-kernels",))

    theirs = grades(serial, assignment)
    cells_serial = [c for c in (cell_seconds(serial.autograded_dir(s.student, assignment) / f"{assignment}.ipynb")
                                for s in subs) if c is not None]
    per_serial = serial_run.seconds / n
    print()
    print(f"submissions: {n}; CPU measured by {serial_run.cpu_source}")
    cpu_serial = f"{serial_run.cpu / n:.2f} CPU-s per submission" if serial_run.cpu is not None else "CPU not measured"
    print(f"{'serial nbgrader autograde:':<50}{serial_run.seconds:7.1f} s   {per_serial:5.2f} s per submission; "
          f"cells {statistics.mean(cells_serial):.2f} s (wall); {cpu_serial}; load {serial_run.load_before} -> "
          f"{serial_run.load_after}")
    ok = True
    medians: dict[str, dict[str, float]] = {}  # by run: its median CPU and cells' CPU per submission
    for label, runs, cd in (("parallel", parallel, parallel_cd), ("sandboxed", sandboxed, sandboxed_cd),
                            ("cold", cold, cold_cd)):
        mismatches, compared, not_graded_by_nbgrader = compare(subs, serial, cd, assignment, theirs)
        ok &= not mismatches
        cells_wall = [c for c in (cell_seconds(cd.autograded_dir(s.student, assignment) / f"{assignment}.ipynb")
                                  for s in subs) if c is not None]
        name = f"coursetools --workers {args.workers}" + {"sandboxed": ", sandboxed", "parallel": ", no sandbox",
                                                           "cold": ", sandboxed, cold kernels"}[label]
        speedups = [serial_run.seconds / r.seconds for r in runs]
        cpu = [r.cpu / n for r in runs if r.cpu is not None]
        cells_cpu = [r.cells_cpu for r in runs]
        ratios = [r.cpu_ratio for r in runs if r.cpu_ratio is not None]
        medians[label] = {"cells": statistics.median(cells_cpu), **({"cpu": statistics.median(cpu)} if cpu else {})}
        print(f"{name + ':':<50}{spread([r.seconds for r in runs], '{:.1f}')} s; "
              f"{spread([r.seconds / n for r in runs])} s per submission; speedup {spread(speedups)}x (serial in "
              f"the same run); loads {', '.join(r.load_before + ' -> ' + r.load_after for r in runs)}")
        print(f"{'':<50}CPU {spread(cpu) if cpu else 'not measured'} CPU-s per submission; cells {spread(cells_cpu)} "
              f"CPU-s ({statistics.mean(cells_wall):.2f} s wall) per submission; CPU / cells' CPU "
              f"{spread(ratios) if ratios else 'n/a'}; grader peak RSS "
              f"{spread([r.rss / 2**20 for r in runs], '{:.0f}')} MiB")
        print(f"{'':<50}identical scores: {'yes' if not mismatches else 'NO'} ({compared} compared; nbgrader could "
              f"not grade {len(not_graded_by_nbgrader)}: {', '.join(not_graded_by_nbgrader)})")
        for line in mismatches:
            print("  " + line)
        if label == "sandboxed":
            met_speed = statistics.median(speedups) >= SPEEDUP_TARGET and not mismatches
            met_cpu = bool(ratios) and statistics.median(ratios) <= CPU_RATIO_TARGET
            print(f"{'':<50}targets: speedup >= {SPEEDUP_TARGET} with identical scores: "
                  f"{'met' if met_speed else 'NOT met'}; CPU <= {CPU_RATIO_TARGET}x the cells' CPU: "
                  f"{'met' if met_cpu else 'NOT met'}")
    # The target's yardstick is the same run's cells. A warm kernel's cells cost less than a fresh Python's: the
    # notebook's own imports (its set-up and helpers cells) find the template's modules loaded. For scale only:
    cold_cells, sandboxed_cpu = medians["cold"]["cells"], medians["sandboxed"].get("cpu")
    if sandboxed_cpu and cold_cells:
        print(f"{'':<50}for scale: the cold run's kernels spent {cold_cells:.2f} CPU-s per submission on the same "
              f"cells (the notebook's imports included); the sandboxed run's whole CPU is "
              f"{sandboxed_cpu / cold_cells:.2f}x that")
    print_profile(sandboxed[-1])
    print_profile(cold[-1])
    print_profile(parallel[-1])
    return ok


def scaling(args, scratch: Path) -> None:
    sizes = [50, 200] + ([800] if args.large else [])
    rows = []
    for n in sizes:
        folder = scratch / f"scaling-{n}"
        base, _ = build_class(folder, args.assignment, n)
        cd = fresh_copy(base, folder / "run")
        profile = folder / "profile.json"
        r = run(coursetools_command(cd.root, args.assignment, args.workers, True, profile), f"scaling-{n}", profile)
        rows.append((n, r))
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nhow cost grows with the class (sandboxed, --workers {args.workers}):")
    first = rows[0][1].seconds / rows[0][0]
    for n, r in rows:
        cpu = f"{r.cpu / n:5.2f} CPU-s" if r.cpu is not None else "CPU n/a"
        if r.cpu_ratio is not None:
            fixed = fixed_cost(r)
            cpu += (f" ({r.cpu_ratio:4.2f}x the cells' {r.cells_cpu:4.2f}; "
                    f"{(r.cpu - fixed) / n / r.cells_cpu:4.2f}x without the batch's {fixed:.1f} once)")
        print(f"  {n:4d} submissions: {r.seconds:7.1f} s, {r.seconds / n:5.2f} s per submission "
              f"({r.seconds / n / first:4.2f}x the {rows[0][0]}'s), {cpu} per submission, grader peak RSS "
              f"{r.rss / 2**20:5.0f} MiB; load {r.load_before} -> {r.load_after}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=settings.load().assignments[0])
    parser.add_argument("--size", type=int, default=44, help="submissions in the class (at least 40)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="run each parallel way this many times (the spread)")
    parser.add_argument("--scaling", action="store_true", help="also grade 50 and 200 submissions, sandboxed")
    parser.add_argument("--large", action="store_true", help="with --scaling, 800 submissions too (not for CI)")
    parser.add_argument("--only-scaling", action="store_true", help="skip the comparison with serial nbgrader")
    parser.add_argument("--keep", type=Path, help="build the classes in this folder and keep them")
    args = parser.parse_args(argv)
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    ok = True
    try:
        if not args.only_scaling:
            ok = comparison(args, scratch)
        if args.scaling or args.only_scaling:
            scaling(args, scratch)
        print("(CPU-s: every process of the command, measured as its header line says; cells' CPU: the kernels' "
              "CPU while executing cells; load: 1/5/15-minute load averages before -> after each command)")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
