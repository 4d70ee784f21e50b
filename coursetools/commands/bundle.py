"""``bundle DIR``: what students get, in one folder (or zip), and proof that it holds no answer.

The bundle has the release notebooks, the student-safe part of ``helpers`` (everything but ``helpers/reference``,
which loads the reference solutions) with its data, ``img/``, the students' requirements and a short README, and
``pyproject.toml`` so that ``pip install .`` installs the helpers as on Colab. :func:`check` then scans every text
file of the bundle for solution code and hidden tests (the lines of the source notebooks' solution and hidden-test
blocks, and nbgrader's markers) and fails loudly on any.
"""

from __future__ import annotations

import datetime
import re
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..course import settings
from ..course.notebooks import read_notebook

NAME = "bundle"
SUMMARY = "the student distribution, checked for leaks"
DESCRIPTION = ("Copy what students get into DIR: the release notebooks, helpers without helpers/reference, data, "
               "img/, requirements, README; then check that no solution code and no hidden test is in it.")

#: Packages the instructor needs and students don't (grading, parallel grading, tests, packaging).
INSTRUCTOR_ONLY = {"nbgrader", "dask", "distributed", "tqdm", "psycopg2-binary", "pytest", "pytest-xdist", "build",
                   "setuptools", "nbclient", "nbconvert"}
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
#: In a notebook, an import of the reference solutions means a hidden test came along (docs may name the module).
NOTEBOOK_MARKERS = ("helpers.reference",)
BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
MIN_LINE = 25  # shorter lines ("return s", "import numpy as np") are too common to prove anything
TEXT_SUFFIXES = {".ipynb", ".py", ".md", ".txt", ".toml", ".cfg", ".json", ".csv", ".html", ".yaml", ".yml", ""}

README = """# {title}: student files

* `release/<assignment>/<assignment>.ipynb`: the assignments. Open them in Jupyter, or on Colab from the course page.
* `helpers/`: the course helpers and data the notebooks import.

Set up once, in a fresh virtual environment:

    python -m venv .venv && . .venv/bin/activate
    pip install -r requirements.txt
    pip install .
    jupyter lab

Work in the cells that say `# YOUR CODE HERE`, run the test cell under each, and keep the file name when you
hand it in.
"""


class BundleLeak(AssertionError):
    """The bundle would give away a solution or a hidden test."""


@dataclass
class Bundle:
    path: Path
    files: list[Path] = field(default_factory=list)
    archive: Path | None = None


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n in ("__pycache__", ".ipynb_checkpoints") or n.endswith(".pyc")}
    if Path(folder).name == "helpers":
        skip.add("reference")
    return skip


def student_requirements(course_root: Path) -> str:
    """requirements.txt without the instructor-only packages, plus JupyterLab to open the notebooks."""
    lines = ["# What the course notebooks need (the instructor's requirements minus grading and test tools)."]
    for line in (course_root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name = re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        if line.strip().startswith("#") or not line.strip():
            continue
        if name not in INSTRUCTOR_ONLY:
            lines.append(line.strip())
    try:
        lines.append(f"jupyterlab=={metadata.version('jupyterlab')}")
    except metadata.PackageNotFoundError:
        lines.append("jupyterlab")
    return "\n".join(lines) + "\n"


def secrets(assignments: list[str]) -> dict[str, str]:
    """Lines of solution code and hidden tests of the source notebooks, long enough to be telling: line -> origin.

    A line that students also see (outside the solution and hidden-test blocks of any source notebook: given code,
    an explanation, a later assignment that hands out an earlier solution) is no secret.
    """
    course = settings.load()
    found, visible = {}, []
    for assignment in course.assignments:
        path = course.source_notebook(assignment)
        if not path.is_file():
            continue
        for cell in read_notebook(path).cells:
            visible.append(BLOCK.sub("", cell.source))
            if assignment not in assignments:
                continue
            for kind, block in BLOCK.findall(cell.source):
                for line in block.splitlines():
                    line = line.strip()
                    if len(line) > MIN_LINE and not line.startswith("#"):
                        found[line] = f"{assignment} {kind.lower()} in {cell.get('id', '?')}"
    public = "\n".join(visible)
    return {line: origin for line, origin in found.items() if line not in public}


def check(path: Path, assignments: list[str] | None = None) -> None:
    """Raise :class:`BundleLeak` if anything under ``path`` holds solution code or a hidden test."""
    assignments = list(assignments or settings.load().assignments)
    problems = []
    if (path / "helpers" / "reference").exists():
        problems.append("helpers/reference (the reference solutions) is in the bundle")
    lines = secrets(assignments)
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if file.suffix not in TEXT_SUFFIXES:
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        relative = file.relative_to(path)
        markers = MARKERS + (NOTEBOOK_MARKERS if file.suffix == ".ipynb" else ())
        problems += [f"{relative}: contains {m!r}" for m in markers if m in text]
        problems += [f"{relative}: contains the {origin}: {line!r}" for line, origin in lines.items() if line in text]
    if problems:
        raise BundleLeak("the student bundle would leak answers:\n  " + "\n  ".join(problems))


class TooEarly(ValueError):
    """An assignment would reach students before the due date of the one whose solutions it shows."""


def check_release_order(names: list[str], now: datetime.datetime | None = None) -> None:
    """Raise :class:`TooEarly` if one of ``names`` must wait for an earlier assignment's due date (course.toml's
    ``[release] after``: 05's given network shows how 04's is written)."""
    course = settings.load()
    now = now or datetime.datetime.now(datetime.timezone.utc)
    deadlines = course.deadlines()
    for name in names:
        before = course.released_after().get(name)
        due = deadlines.due_for(before) if before else None
        if due is not None and due > now:
            raise TooEarly(f"{name} shows the solutions of {before}: hand it out after {before}'s due date "
                           f"({due.isoformat(sep=' ')}), or pass --early")


def bundle(destination: Path, assignments: list[str] | None = None, *, force: bool = False,
           archive: bool = False, early: bool = False) -> Bundle:
    """Build the student bundle in ``destination`` (a new or empty folder; ``force`` replaces it) and check it.

    Refuses an assignment that must wait for an earlier one's due date (:func:`check_release_order`) unless ``early``.
    """
    course = settings.load()
    names = list(assignments or course.assignments)
    if not early:
        check_release_order(names)
    destination = destination.resolve()
    if destination == course.root or course.root in destination.parents and destination.name in ("release", "helpers"):
        raise ValueError(f"refusing to build the bundle in {destination}")
    if destination.exists() and any(destination.iterdir()):
        if not force:
            raise FileExistsError(f"{destination} is not empty (use --force to replace it)")
        shutil.rmtree(destination)
    destination.mkdir(parents=True, exist_ok=True)
    missing = [a for a in names if not course.release_notebook(a).is_file()]
    if missing:
        raise FileNotFoundError(f"no release notebook for {missing}: run `python -m coursetools release` first")
    for assignment in names:
        shutil.copytree(course.release / assignment, destination / "release" / assignment, ignore=_ignore)
    shutil.copytree(course.root / "helpers", destination / "helpers", ignore=_ignore)
    for folder in ("img", "data"):
        if (course.root / folder).is_dir():
            shutil.copytree(course.root / folder, destination / folder, ignore=_ignore)
    shutil.copyfile(course.root / "pyproject.toml", destination / "pyproject.toml")
    (destination / "requirements.txt").write_text(student_requirements(course.root), encoding="utf-8")
    (destination / "README.md").write_text(README.format(title=course.title), encoding="utf-8")
    check(destination, names)
    result = Bundle(destination, sorted(p for p in destination.rglob("*") if p.is_file()))
    if archive:
        result.archive = Path(shutil.make_archive(str(destination), "zip", root_dir=destination))
    return result


def add_arguments(parser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    parser.add_argument("--force", action="store_true", help="replace DIR if it is not empty")
    parser.add_argument("--zip", action="store_true", help="also write DIR.zip")
    parser.add_argument("--early", action="store_true",
                        help="include assignments whose [release] after assignment is not due yet")


def run(args) -> int:
    result = bundle(args.directory, args.assignments, force=args.force, archive=args.zip, early=args.early)
    print(f"student bundle: {result.path} ({len(result.files)} files, checked: no solution, no hidden test)")
    if result.archive:
        print(f"zip: {result.archive}")
    return 0
