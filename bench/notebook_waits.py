"""How long a student waits: every release notebook, filled with the reference answers, run top to bottom.

Each notebook runs as a student runs it on their own computer (NBGRADER_EXECUTION unset, so the full-size
experiments), in a fresh kernel started in a scratch folder, with BLAS limited to one thread (OPENBLAS_NUM_THREADS=1
and its peers: a laptop busy with other things, or Colab's small machines, give about that). The budget is 20 s of
wall-clock time per notebook, kernel start included.

Peer measured in the same run: the notebook's own import cells alone (kernel start, NumPy, Matplotlib, the helpers),
so that "ratio" says how many times that fixed cost the whole notebook takes, whatever the machine's load. The
kernel's own CPU time (its rusage, read by one more cell at the end) is printed too: what the run costs whatever the
load.

Run from the repository root:  python bench/notebook_waits.py [--runs 3] [--slow 1.0] [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from _measure import machine  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from coursetools.course import settings  # noqa: E402
from coursetools.course.notebooks import read_notebook  # noqa: E402
from coursetools.samples import answered, solution_code  # noqa: E402

BUDGET_SECONDS = 20.0
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def filled(assignment: str) -> nbformat.NotebookNode:
    """The release notebook with the reference answers in its answer cells, as a student who got everything right."""
    course = settings.load()
    return answered(read_notebook(course.release_notebook(assignment)), solution_code(assignment))


def imports_only(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The peer: the notebook cut after its last import cell (its cells up to 'imports-tools')."""
    cut = nbformat.from_dict(dict(notebook))
    ids = [c.get("id") for c in notebook.cells]
    last = ids.index("imports-tools") if "imports-tools" in ids else 2
    cut.cells = notebook.cells[:last + 1]
    return cut


CPU_PROBE = "import resource as _r\n_u = _r.getrusage(_r.RUSAGE_SELF)\nprint(_u.ru_utime + _u.ru_stime)"


def run(notebook: nbformat.NotebookNode, timeout: float = 600) -> tuple[float, float, list[float], float]:
    """Execute a copy of ``notebook`` in a fresh kernel.

    Returns (wall seconds, kernel start seconds, seconds per cell, the kernel's CPU seconds).
    """
    notebook = nbformat.from_dict(dict(notebook, cells=[nbformat.from_dict(dict(c)) for c in notebook.cells]))
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"} | ONE_THREAD
    with tempfile.TemporaryDirectory(prefix="waits-") as scratch:
        client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
                                resources={"metadata": {"path": scratch}})
        start = time.perf_counter()
        # The kernel's own stderr (a warning about its transport) would interleave with the table; a failing cell
        # still stops the bench, with its error.
        with client.setup_kernel(env=env, cwd=scratch, stderr=subprocess.DEVNULL):
            started = time.perf_counter()
            cells = []
            for index, cell in enumerate(notebook.cells):
                before = time.perf_counter()
                client.execute_cell(cell, index)
                cells.append(time.perf_counter() - before)
            wall = time.perf_counter() - start
            probe = nbformat.v4.new_code_cell(CPU_PROBE)
            client.execute_cell(probe, len(notebook.cells))
            cpu = float("".join(o.get("text", "") for o in probe.outputs).split()[-1])
    return wall, started - start, cells, cpu


def spread(values: list[float]) -> str:
    """Median with the smallest and largest of the runs."""
    return f"{statistics.median(values):6.2f} [{min(values):.2f}-{max(values):.2f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignments to run (default: all of course.toml)")
    parser.add_argument("--runs", type=int, default=3, help="runs per notebook (default 3)")
    parser.add_argument("--slow", type=float, default=1.0, help="list cells whose median exceeds this (s)")
    args = parser.parse_args()
    course = settings.load()
    assignments = args.assignments or list(course.assignments)

    print(f"# Notebook waits, {datetime.now():%Y-%m-%d %H:%M}, {args.runs} runs each, BLAS 1 thread")
    print(f"# {machine()}")
    print(f"# budget: {BUDGET_SECONDS:.0f} s per notebook (wall, kernel start included); "
          "figures: median [min-max] in seconds")
    summary, slow_cells, over = [], [], []
    for assignment in assignments:
        notebook = filled(assignment)
        peer = imports_only(notebook)
        walls, starts, peers, cpus, loads, per_cell = [], [], [], [], [], [[] for _ in notebook.cells]
        for _ in range(args.runs):
            loads.append(os.getloadavg()[0])
            wall, started, cells, cpu = run(notebook)
            walls.append(wall)
            cpus.append(cpu)
            starts.append(started)
            for i, seconds in enumerate(cells):
                per_cell[i].append(seconds)
            peers.append(run(peer)[0])
        loads.append(os.getloadavg()[0])
        ratio = statistics.median(walls) / statistics.median(peers)
        verdict = "ok" if statistics.median(walls) <= BUDGET_SECONDS else "OVER"
        if verdict == "OVER":
            over.append(assignment)
        summary.append((assignment, spread(walls), spread(starts), spread(cpus), spread(peers), f"{ratio:5.1f}x",
                        f"{min(loads):.2f}-{max(loads):.2f}", verdict))
        for i, times in enumerate(per_cell):
            if statistics.median(times) >= args.slow:
                cell = notebook.cells[i]
                slow_cells.append((assignment, cell.get("id", str(i)), spread(times)))

    header = ("notebook", "wall (s)", "kernel start", "kernel CPU (s)", "peer: imports", "ratio", "load 1 min", "20 s")
    widths = [max(len(str(row[k])) for row in summary + [header]) for k in range(len(header))]
    print()
    for row in [header] + summary:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    print(f"\nCells taking at least {args.slow:g} s (median [min-max] of {args.runs} runs):")
    for assignment, cell_id, times in slow_cells:
        print(f"  {assignment:<26} {cell_id:<22} {times}")
    if not slow_cells:
        print("  none")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
