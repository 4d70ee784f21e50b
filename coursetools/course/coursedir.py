"""A course folder in nbgrader's layout and its gradebook: the place every toolkit command works on.

The default is the repository itself with the gradebook of ``nbgrader_config.py``; the demo, the benchmark and
the tests use other folders (``--root``), each with its own SQLite gradebook unless a ``--db-url`` is given::

    <root>/source/<a>/<a>.ipynb            instructor version (copied from the repository when missing)
    <root>/release/<a>/<a>.ipynb           what students get
    <root>/submitted/<student>/<a>/        what they handed in (``collect`` fills it)
    <root>/autograded/<student>/<a>/       executed notebooks + grading.json (status, reason, content hash)
    <root>/feedback/<student>/<a>/<a>.html the feedback page
    <root>/reports/                        grades.csv and report.html
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .nbgrader import nbgrader_config

log = logging.getLogger("coursetools")

NBGRADER_CONFIG = """\
# nbgrader configuration of a course folder made by coursetools: the repository's grading policy, pointed here,
# so that plain nbgrader commands (autograde, formgrader) work in this folder too.
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}
"""


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite gradebook at ``path``."""
    return f"sqlite:///{path}"


def redact(db_url: str) -> str:
    """``db_url`` without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an odd URL is shown as is
        return db_url


@dataclass(frozen=True)
class CourseDir:
    """A course folder and the URL of its gradebook; see the module's docstring for the layout."""

    root: Path
    db_url: str

    @classmethod
    def open(cls, root: Path | str | None = None, db_url: str | None = None) -> CourseDir:
        """The course folder ``root`` (the repository by default) and its gradebook.

        Without ``db_url``: the repository uses the gradebook of nbgrader_config.py (SQLite at its root unless the
        instructor pointed it at PostgreSQL); any other folder gets ``<root>/gradebook.db``.
        """
        course = settings.load()
        root = Path(root).resolve() if root else course.root
        if not db_url:
            if root == course.root:
                db_url = nbgrader_config(course.root).CourseDirectory.db_url
            else:
                db_url = sqlite_url(root / "gradebook.db")
        return cls(root=root, db_url=db_url)

    # folders --------------------------------------------------------------------------------------------------
    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def source_dir(self, assignment: str) -> Path:
        return self.root / "source" / assignment

    def release_dir(self, assignment: str) -> Path:
        return self.root / "release" / assignment

    def source_notebook(self, assignment: str, notebook: str | None = None) -> Path:
        return self.source_dir(assignment) / f"{notebook or assignment}.ipynb"

    def release_notebook(self, assignment: str, notebook: str | None = None) -> Path:
        return self.release_dir(assignment) / f"{notebook or assignment}.ipynb"

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.submitted / student / assignment

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.autograded / student / assignment

    def students(self) -> list[str]:
        """Every student folder in submitted/, sorted."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir() if p.is_dir() and not p.name.startswith("."))

    # nbgrader -------------------------------------------------------------------------------------------------
    def config(self):
        """The course's nbgrader configuration (grading policy of nbgrader_config.py), for this folder."""
        return nbgrader_config(self.root, self.db_url)

    @contextmanager
    def gradebook(self):
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.config().CourseDirectory.course_id or "default_course") as gb:
            yield gb

    def assignments(self) -> list[str]:
        """Assignments in the gradebook, in course.toml order first."""
        with self.gradebook() as gb:
            names = [a.name for a in gb.assignments]
        order = {a: i for i, a in enumerate(settings.load().assignments)}
        return sorted(names, key=lambda a: (order.get(a, len(order)), a))

    def write_nbgrader_config(self) -> Path:
        """An nbgrader_config.py in a folder other than the repository, so nbgrader's own commands work there."""
        course = settings.load()
        path = self.root / "nbgrader_config.py"
        if self.root != course.root:
            self.root.mkdir(parents=True, exist_ok=True)
            path.write_text(NBGRADER_CONFIG.format(config=str(course.root / "nbgrader_config.py"),
                                                   root=str(self.root), db_url=self.db_url), encoding="utf-8")
        return path
