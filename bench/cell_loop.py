"""Benchmark: the worker's CPU to execute a notebook, with the blocking cell loop and with nbclient's own loop.

Builds the bench's class of one assignment (``samples.bench_class``), then grades every submission in this process
(``worker.grade``, sandboxed and warm as the default batch) with ``GuardedExecute.blocking`` on and off, in
alternating rounds, and prints for each the worker's CPU-seconds per submission in its execute phase (the cell
loop, nbclient's handling of each message, the grader's service for the hidden tests), the kernels' CPU in the
cells beside it (the same work both ways: the figure that shows how busy the machine was), the ratio of the two
loops measured in the same run, and whether they gave the same statuses, reasons and test-cell outputs.

    ./run python bench/cell_loop.py [--rounds 3] [--size 44] [--assignment 01_numpy_basics]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursetools import samples  # noqa: E402
from coursetools.commands import release  # noqa: E402
from coursetools.course import settings  # noqa: E402
from coursetools.course.coursedir import CourseDir  # noqa: E402
from coursetools.grading import batch, worker  # noqa: E402
from coursetools.grading.job import GradingSettings, Job  # noqa: E402
from coursetools.grading.preprocessors import GuardedExecute  # noqa: E402
from tests.support.outputs import merged_streams  # noqa: E402


def comparable(result) -> list:
    """What must not depend on the loop: statuses, reasons, and the test cells' outputs (other cells print times),
    with consecutive pieces of a stream joined (how the kernel cuts them depends on the machine's load). Cells are
    named by their grade id: a test cell the grader restored gets a new random cell id in every run."""
    out = []
    for outcome in result.notebooks:
        cells = [(c.metadata.nbgrader.get("grade_id"), c.get("execution_count"),
                  json.dumps(merged_streams(c.get("outputs")), sort_keys=True))
                 for c in (outcome.executed.cells if outcome.executed is not None else [])
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        out.append((outcome.name, outcome.status, outcome.reason, cells))
    return out


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=settings.load().assignments[0])
    parser.add_argument("--size", type=int, default=44)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each loop")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-cell-loop-"))
    cd = CourseDir.open(scratch / "course")
    release.release([args.assignment], cd, verify=False)
    subs = samples.bench_class(cd, args.assignment, args.size)
    kit, _, _ = batch.build_kit(cd, args.assignment, GradingSettings())
    batch.prepare(kit)
    jobs = [Job(s.student, args.assignment, {args.assignment: s.content}, {}, prewarm=False) for s in subs]
    worker.grade(jobs[0], kit)  # the template and the font list, outside the figures
    print(f"{len(jobs)} submissions of {args.assignment}, sandboxed, one worker (this process); "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    results: dict[bool, dict[str, list]] = {True: {}, False: {}}
    for k in range(args.rounds):
        for blocking in ((True, False) if k % 2 == 0 else (False, True)):
            GuardedExecute.blocking = blocking
            execute = cells = 0.0
            for job in jobs:
                result = worker.grade(job, kit)
                execute += result.profile.get("worker.execute", 0.0)
                cells += result.profile.get("kernel.cells", 0.0)
                results[blocking][job.student] = comparable(result)
            figures[blocking].append((execute / len(jobs), cells / len(jobs)))
            print(f"  round {k + 1}, {'blocking loop' if blocking else 'nbclient':<13}: execute "
                  f"{execute / len(jobs):.3f} CPU-s per submission (the cells {cells / len(jobs):.3f}); load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    GuardedExecute.blocking = True
    ours, theirs = ([e for e, _ in figures[b]] for b in (True, False))
    ratios = [a / b for a, b in zip(ours, theirs)]
    differ = [s for s in results[True] if results[True][s] != results[False][s]]
    print(f"execute, CPU-s per submission: blocking loop {spread(ours)}, nbclient {spread(theirs)} "
          f"(median [min-max] of {args.rounds} rounds); blocking / nbclient {spread(ratios, '{:.2f}')}")
    print(f"the cells, CPU-s per submission: {spread([c for _, c in figures[True]])} and "
          f"{spread([c for _, c in figures[False]])}")
    print(f"same statuses, reasons and test-cell outputs: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
