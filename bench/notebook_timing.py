"""How long a student waits: the release notebook, filled with the reference solutions, run top to bottom.

The release notebook of ASSIGNMENT gets the source notebook's solution code pasted into its answer cells (as a
student who solved everything would have it), then runs in a fresh kernel as on a student's machine: no
``NBGRADER_EXECUTION`` (so the experiments run at full length; ``--graded`` sets it, as autograde does) and BLAS
and OpenMP limited to one thread (``--threads N`` to change it). Each run prints the wall time of every code cell
that took at least 0.05 s, the total of the cells, the whole run including the kernel's start-up, and the CPU time
the kernel used (user + system: about what the run takes on an idle core, whatever else the machine is doing);
with ``--repeat N`` the totals of N runs, their median and range. ``--outputs`` also prints what the cells printed (the
accuracies the text quotes).

Usage: ``python bench/notebook_timing.py 05_deep_cats [--repeat 3] [--threads 1] [--graded] [--outputs]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coursetools import settings  # noqa: E402
from coursetools.notebooks import read_notebook  # noqa: E402
from coursetools.sample_class import answered, solution_code  # noqa: E402

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def filled_release(assignment: str) -> nbformat.NotebookNode:
    """The release notebook with the reference solutions in its answer cells."""
    course = settings.load()
    return answered(read_notebook(course.release_notebook(assignment)), solution_code(assignment))


CPU_PROBE = "import resource as _r\n_u = _r.getrusage(_r.RUSAGE_SELF)\nprint(f'kernel CPU {_u.ru_utime + _u.ru_stime:.3f}')"


def run_once(notebook: nbformat.NotebookNode, threads: int,
             graded: bool) -> tuple[float, float, list[tuple[str, float, str]]]:
    """Execute a copy of ``notebook``; returns the wall time with kernel start-up, the kernel's CPU seconds and
    (cell id, seconds, output) of every code cell."""
    notebook = nbformat.from_dict(notebook)
    notebook.cells.append(nbformat.v4.new_code_cell(CPU_PROBE, id="cpu-probe"))
    saved = {name: os.environ.get(name) for name in (*THREAD_VARIABLES, "NBGRADER_EXECUTION")}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    if graded:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    else:
        os.environ.pop("NBGRADER_EXECUTION", None)
    cells = []
    try:
        with tempfile.TemporaryDirectory(prefix="timing-") as workdir:
            client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": workdir}}, record_timing=True,
                                    extra_arguments=["--IPKernelApp.log_level=ERROR"])
            start = time.perf_counter()
            client.execute()
            total = time.perf_counter() - start
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    from datetime import datetime

    probe = notebook.cells.pop()
    cpu = float("".join(o.get("text", "") for o in probe.outputs).split()[-1])
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        timing = cell.metadata.get("execution", {})
        began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        seconds = ((datetime.fromisoformat(ended.replace("Z", "+00:00"))
                    - datetime.fromisoformat(began.replace("Z", "+00:00"))).total_seconds() if began and ended else 0.0)
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
        cells.append((cell.id, seconds, text + "".join(f"ERROR {e}\n" for e in errors)))
    return total, cpu, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--graded", action="store_true", help="set NBGRADER_EXECUTION, as a graded run does")
    parser.add_argument("--outputs", action="store_true", help="print what the cells printed")
    args = parser.parse_args()
    notebook = filled_release(args.assignment)
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    print(f"{args.assignment}: release notebook with the reference solutions; {args.threads} BLAS thread(s); "
          f"{'graded run (NBGRADER_EXECUTION set)' if args.graded else 'student run'}; {os.cpu_count()} CPUs{load}")
    totals, cell_totals, cpus = [], [], []
    for run in range(1, args.repeat + 1):
        total, cpu, cells = run_once(notebook, args.threads, args.graded)
        cpus.append(cpu)
        errors = [cell for cell, _, text in cells if "ERROR " in text]
        totals.append(total)
        cell_totals.append(sum(seconds for _, seconds, _ in cells))
        print(f"\nrun {run}: {total:.2f} s with kernel start-up, {cell_totals[-1]:.2f} s in cells, "
              f"kernel CPU {cpu:.2f} s"
              f"{'; errors in ' + ', '.join(errors) if errors else ''}")
        for cell, seconds, text in cells:
            if seconds >= 0.05:
                print(f"  {cell:<28} {seconds:6.2f} s")
            if args.outputs and text.strip():
                print("    " + text.strip().replace("\n", "\n    "))
    if args.repeat > 1:
        print(f"\n{args.repeat} runs: with start-up median {statistics.median(totals):.2f} s "
              f"(range {min(totals):.2f}-{max(totals):.2f}); cells median {statistics.median(cell_totals):.2f} s "
              f"(range {min(cell_totals):.2f}-{max(cell_totals):.2f}); kernel CPU median {statistics.median(cpus):.2f} s "
              f"(range {min(cpus):.2f}-{max(cpus):.2f})")
    load_after = f"load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    print(load_after)


if __name__ == "__main__":
    main()
