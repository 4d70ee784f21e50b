"""Benchmark: reading a submission folder of many small files, the toolkit's walk against nbgrader's listing.

nbgrader's ``find_all_files`` globs the folder again for every file it lists (``is_ignored``), so its time grows
with the square of the number of files; the toolkit's ``read_folder`` (coursetools/grading/folder.py) is one
``scandir`` per folder and one name match per entry. Both list the same folders of 1,000 to 8,000 empty files here
(the toolkit's entry limit raised for the measure: autograde refuses such a folder at 1,000 entries), several runs
each; the figures are seconds (median and spread) and the ratio of the medians, in the same run on this machine.

Run from the repository root:  python bench/folder_listing.py
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coursetools.grading.folder import FolderLimits, read_folder  # noqa: E402

IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
SIZES = (1000, 2000, 4000, 8000)
RUNS = 3


def cell(t: list[float]) -> str:
    return f"{statistics.median(t):.3f} ({min(t):.3f}-{max(t):.3f})"


def _times(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    from nbgrader.utils import find_all_files

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.2f}; median (min-max) of {RUNS} runs, seconds")
    print(f"{'files':>6}  {'nbgrader find_all_files':>26}  {'toolkit read_folder':>22}  {'ratio':>7}")
    limits = FolderLimits(max_entries=10 * max(SIZES))
    for size in SIZES:
        with tempfile.TemporaryDirectory() as root:
            folder = Path(root) / "submission"
            folder.mkdir()
            for i in range(size):
                (folder / f"{i:05d}.txt").touch()
            runs = RUNS if size <= 4000 else 1
            theirs = _times(functools.partial(find_all_files, str(folder), IGNORE), runs)
            ours = _times(functools.partial(read_folder, folder, IGNORE, limits), RUNS)
            assert len(read_folder(folder, IGNORE, limits).files) == size
        print(f"{size:>6}  {cell(theirs):>26}  {cell(ours):>22}  {statistics.median(theirs) / statistics.median(ours):>6.0f}x")


if __name__ == "__main__":
    main()
