"""``tokens ROSTER.csv --out FILE``: a secret token per student, for signing in to the grading service."""

from __future__ import annotations

import sys
from pathlib import Path

from ..serve import layout
from ..serve.store import Store
from ..serve.tokens import INSTRUCTOR, STUDENT, new_token, read_roster, tokens_csv, write_private
from ._options import course_dir

NAME = "tokens"
SUMMARY = "tokens for the grading service, from the roster"
DESCRIPTION = ("Make a secret token for each student of ROSTER (nbgrader's student CSV with an 'id' column, or one id "
               "a line) and write them to --out as a CSV with columns id and token, for you to send to each student "
               "(readable by you only; the service keeps only their hashes, in <root>/service/). A student who gets "
               "a new token can no longer use the old one. --instructor makes a new instructor token instead.")


def add_arguments(parser) -> None:
    parser.add_argument("roster", metavar="ROSTER", type=Path, nargs="?", help="the class roster (CSV)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the tokens (CSV: id,token)")
    parser.add_argument("--only-new", action="store_true",
                        help="only students who have no token yet (the others keep theirs)")
    parser.add_argument("--instructor", action="store_true",
                        help="write a new instructor token to --out instead (the previous one stops working)")


def run(args) -> int:
    cd = course_dir(args)
    store = Store(layout.service_dir(cd))
    if args.instructor:
        if args.roster:
            raise ValueError("--instructor makes the instructor's token only: give no ROSTER with it")
        token = new_token()
        store.set_token("instructor", INSTRUCTOR, token)
        write_private(args.out, token + "\n")
        print(f"a new instructor token is in {args.out} (readable by you only); the previous one no longer works")
        return 0
    if not args.roster:
        raise ValueError("give the ROSTER (a CSV with an 'id' column, or one student id a line)")
    students = read_roster(args.roster)
    if not students:
        raise ValueError(f"{args.roster} names no student")
    have = set(store.subjects(STUDENT)) if args.only_new else set()
    pairs = []
    for student in students:
        if student in have:
            continue
        token = new_token()
        store.set_token(student, STUDENT, token)
        pairs.append((student, token))
    write_private(args.out, tokens_csv(pairs))
    kept = len(students) - len(pairs)
    print(f"{len(pairs)} student tokens in {args.out} (readable by you only)"
          + (f"; {kept} students kept their token" if kept else ""), file=sys.stderr)
    print(f"send each student their own line; the service at {cd.root} knows only their hashes")
    return 0
