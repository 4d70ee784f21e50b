"""``similarity ASSIGNMENT``: the pairs of submissions whose student-written code is unusually alike, side by side.

See :mod:`coursetools.reporting.similarity` for what is compared and how (copydetect's winnowing, starter code and
the code everyone writes left out). Writes ``reports/similarity/ASSIGNMENT.html`` (the pairs side by side, shared
parts highlighted) and ``.json`` (which the class report lists the flagged pairs from).
"""

from __future__ import annotations

from ..reporting import similarity as comparing
from ._options import course_dir

NAME = "similarity"
SUMMARY = "pairs of submissions whose code is unusually alike"
DESCRIPTION = ("Compare the code students wrote in ASSIGNMENT's submissions (answer cells and their own cells; names, "
               "comments and layout normalised; the release notebook's code and text, and code most of the class "
               "writes, left out) and write reports/similarity/ASSIGNMENT.html with the most alike pairs side by side.")


def add_arguments(parser) -> None:
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    parser.add_argument("--threshold", type=float, default=comparing.THRESHOLD,
                        help=f"flag pairs at least this similar, 0 to 1 (default {comparing.THRESHOLD:g})")
    parser.add_argument("--min-shared", type=int, default=comparing.MIN_SHARED,
                        help=f"... with at least this many characters of distinctive normalised code in common "
                             f"(default {comparing.MIN_SHARED})")
    parser.add_argument("--common", type=int, default=None,
                        help="code found in more than this many submissions is code everyone writes "
                             "(default: 2 or a fifth of the class, whichever is larger)")


def run(args) -> int:
    report, page = comparing.similarity(args.assignment, course_dir(args), threshold=args.threshold,
                                        min_shared=args.min_shared, common=args.common)
    print(f"{args.assignment}: {report.students} submissions compared, {len(report.flagged)} pair(s) flagged")
    for pair in report.pairs[:5]:
        print(f"  {pair.a} & {pair.b}: {100 * pair.similarity:.0f}% similar"
              f"{' (FLAGGED)' if pair.flagged else ''}")
    for student, why in sorted(report.skipped.items()):
        print(f"  not compared: {student}: {why}")
    print(f"similarity: {page}")
    return 0
