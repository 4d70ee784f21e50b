"""``python -m coursetools autograde ARGV`` as instructors run it, and the batch's profile written to a file.

    python bench/_batch.py PROFILE.json -- ASSIGNMENT --root ROOT --workers 2 ...

Run by ``autograde_parallel.py`` for every coursetools measurement. It is its own small script because Dask's
worker processes are started fresh and import the main script again (under another name): the benchmark's own
imports (the sample classes, release) would be paid by every worker, which ``python -m coursetools`` never pays.
So nothing but the standard library is imported at the top.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(profile: Path, argv: list[str]) -> int:
    from coursetools.cli import build_parser
    from coursetools.commands._options import course_dir, grading_settings
    from coursetools.grading import batch as grading

    args = build_parser().parse_args(["autograde", *argv])
    before = time.process_time()  # the command's start: Python, the imports, its arguments
    batch = grading.autograde(args.assignment, course_dir(args), settings=grading_settings(args),
                              workers=args.workers, scheduler=args.scheduler, force=args.force,
                              cell_timeout=args.cell_timeout, students=args.students, progress=not args.no_progress)
    print(grading.summary(batch))
    profile.write_text(json.dumps({"profile": {**batch.profile, "client.before": before}, "graded": batch.profiled,
                                   "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[3:]))
