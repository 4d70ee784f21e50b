"""The ``feedback`` command: an HTML page per student with each exercise's points and why points were lost.

nbgrader's generate_feedback renders the autograded notebook, hidden tests and their tracebacks included. These
pages show, for each test cell, the points (from the gradebook, so manual corrections count), the failure
message (the error name and message the test raised, e.g. the CheckFailed text), and at most the *release*
version of the test cell, which the student already had. Never a traceback, never hidden test code.

Pages go to ``feedback/<student>/<assignment>/<notebook>.html``, where nbgrader's release_feedback finds them.
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import integrity
from ..course import settings
from ..course.coursedir import CourseDir
from ..course.deadlines import Deadlines
from ..grading import results
from ..grading.results import cell_messages
from .grades import NO_SUBMISSION, NOT_GRADED, Row, fmt, table

STUDENT_NOTES = {
    results.GRADED: "",
    results.MISSING: "We found no notebook in your submission, so nothing could be graded.",
    results.INVALID: "Your file could not be opened as a Jupyter notebook, so nothing could be graded.",
    results.REJECTED: ("Your submission could not be graded as handed in (the notebook must be an ordinary file, "
                       "in a folder of reasonable size); nothing in it was graded."),
    results.TIMED_OUT: "Your notebook ran too long and was stopped; exercises after that point could not earn points.",
    results.KERNEL_DIED: "Python crashed while running your notebook; exercises after that point could not earn points.",
    results.ERROR: "Your submission could not be graded automatically; your instructor will grade it by hand.",
    "ungraded": "Some exercises still wait for your instructor's grading.",
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d2330;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}.sub{color:#5b6475;margin-top:0}
.total{font-size:1.25rem;margin:1rem 0}.note{background:#fff4e5;border-left:4px solid #f0a030;padding:.6rem .9rem}
table{border-collapse:collapse;width:100%;margin-top:1rem}th,td{border-bottom:1px solid #dde2ea;padding:.5rem;
text-align:left;vertical-align:top}th{background:#f3f5f9}
.ok{color:#1a7f37;font-weight:600}.lost{color:#b42318;font-weight:600}.pending{color:#8a6100;font-weight:600}
pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;border-radius:4px;margin:.3rem 0;font-size:.85rem}
details summary{cursor:pointer;color:#3b5bdb}
"""


#: A failure of one of ``check.matches_reference``'s hidden cases: ``<name>(...) on hidden case <n> (inputs: ...)``.
HIDDEN_CASE = re.compile(r"^(?:[A-Za-z_][\w.]*: )?(?P<name>.*?) on hidden case (?P<number>\d+)\b")


def hide_hidden_case(message: str) -> str:
    """A hidden case's failure without what it expected and got: ``sigmoid(...): hidden case 3 failed.``"""
    first = message.strip().splitlines()[0] if message.strip() else ""
    match = HIDDEN_CASE.match(first)
    if not match:
        return message
    return f"{match.group('name')}: hidden case {match.group('number')} failed."


def show_hidden_cases(policy: str, row: Row, now: datetime.datetime | None = None) -> bool:
    """Whether the page shows what failed hidden cases expected: course.toml's ``[feedback] hidden_cases``."""
    if policy == "always":
        return True
    if policy == "never":
        return False
    if not row.due:  # no due date: nothing to wait for
        return True
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now >= datetime.datetime.fromisoformat(row.due)


@dataclass
class Page:
    student: str
    assignment: str
    path: Path


def _release_tests(cd: CourseDir, assignment: str, notebook: str) -> dict[str, str]:
    """The visible test cells of the release notebook (what the student already had), by grade_id."""
    path = cd.release_notebook(assignment, notebook)
    if not path.is_file():
        return {}
    cells = nbformat.read(path, as_version=4).cells
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def _messages(cd: CourseDir, row: Row, notebook: str) -> dict[str, list[str]]:
    """Failure messages by grade_id: from grading.json, else from the autograded notebook's error outputs."""
    graded = results.load(cd.autograded_dir(row.student, row.assignment))
    if graded is not None:
        return {c.grade_id: c.messages for c in graded.cells if c.notebook == notebook}
    path = cd.autograded_dir(row.student, row.assignment) / f"{notebook}.ipynb"
    if not path.is_file():
        return {}
    return {c.metadata["nbgrader"]["grade_id"]: cell_messages(c) for c in nbformat.read(path, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def render(cd: CourseDir, row: Row, exercises, notebook: str, several: bool, deadlines: Deadlines | None = None,
           hidden_cases: str | None = None, now: datetime.datetime | None = None,
           messages: dict[str, list[str]] | None = None) -> str:
    """One feedback page. ``hidden_cases``: always, after_due or never (default: course.toml's ``[feedback]``);
    ``messages`` (by grade_id) instead of those recorded for the row (the service's pages of single attempts)."""
    course = settings.load()
    esc = html.escape
    deadlines = deadlines if deadlines is not None else course.deadlines()
    policy = hidden_cases or course.feedback_hidden_cases()
    show = show_hidden_cases(policy, row, now)
    tests = _release_tests(cd, row.assignment, notebook)
    messages = _messages(cd, row, notebook) if messages is None else messages
    review = integrity.load(cd.autograded_dir(row.student, row.assignment))   # hidden cases passed, by the grader
    hidden = 0
    if not show:
        shown = {}
        for grade_id, texts in messages.items():
            shown[grade_id] = [hide_hidden_case(m) for m in texts]
            hidden += sum(1 for a, b in zip(texts, shown[grade_id]) if a != b)
        messages = shown
    rows = []
    for exercise in exercises:
        if exercise.notebook != notebook:
            continue
        points = row.points.get(exercise.column(several))
        if points is None:
            verdict = '<span class="pending">not graded yet</span>'
        elif points >= exercise.max_score:
            verdict = '<span class="ok">passed</span>'
        else:
            verdict = '<span class="lost">points lost</span>'
        detail = ""
        if points is not None and points < exercise.max_score and row.status not in results.NOT_RUN:
            summary = integrity.partial_text(review, exercise.grade_id, points, exercise.max_score)
            detail = f"<p>{esc(summary)}</p>" if summary else ""
            detail += "".join(f"<pre>{esc(m)}</pre>" for m in messages.get(exercise.grade_id, []))
        if exercise.grade_id in tests and tests[exercise.grade_id].strip():
            detail += (f"<details><summary>the test you had in your notebook</summary>"
                       f"<pre>{esc(tests[exercise.grade_id])}</pre></details>")
        rows.append(f"<tr><td><code>{esc(exercise.grade_id)}</code></td><td>{fmt(points) or '&ndash;'} / "
                    f"{fmt(exercise.max_score)}</td><td>{verdict}{detail}</td></tr>")
    note = STUDENT_NOTES.get(row.status, "")
    if row.status not in (results.GRADED, "ungraded") and row.reason:
        note += f" ({esc(row.reason)})"
    late = _lateness(row, deadlines)
    if hidden:
        late += ("<p class='sub'>What the hidden cases expected is shown once the due date "
                 f"({esc(deadlines.local(datetime.datetime.fromisoformat(row.due)))}) has passed.</p>"
                 if policy == "after_due" else "<p class='sub'>This course does not show what hidden cases expected.</p>")
    generated = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: {esc(row.assignment)} ({esc(row.student)})</title>
<style>{STYLE}</style></head><body>
<h1>{esc(row.assignment)}: feedback for {esc(row.student)}</h1>
<p class="sub">{esc(course.title)}{f" &middot; {esc(notebook)}.ipynb" if several else ""}</p>
<p class="total">Score: <strong>{fmt(row.total) or "&ndash;"} / {fmt(row.max_total)}</strong></p>
{f'<p class="note">{note}</p>' if note else ""}{late}
<table><thead><tr><th>exercise</th><th>points</th><th>result</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<p class="sub">Generated {generated}. Hidden tests check your functions on more inputs than the tests you saw; the
messages above say what they found.</p>
</body></html>
"""


def _lateness(row: Row, deadlines: Deadlines) -> str:
    """When the notebook was handed in against the student's due date, and what lateness cost."""
    if not row.due:
        return f"<p>Late submission penalty: {fmt(row.late_penalty)} points.</p>" if row.late_penalty else ""
    due = deadlines.local(datetime.datetime.fromisoformat(row.due))
    extension = f" (with your extension of {html.escape(row.extension)})" if row.extension else ""
    handed = (f"Handed in {html.escape(deadlines.local(datetime.datetime.fromisoformat(row.timestamp)))}"
              if row.timestamp else "Handed in")
    if not row.seconds_late:
        return f"<p>{handed}, due {html.escape(due)}{extension}: on time.</p>"
    cost = (f" Late penalty: <strong>{fmt(row.late_penalty)} points</strong> ({html.escape(deadlines.policy.describe())})."
            if row.late_penalty else " No late penalty.")
    return f"<p class='note'>{handed}, due {html.escape(due)}{extension}: {html.escape(row.late)} late.{cost}</p>"


def feedback(assignment: str, cd: CourseDir | None = None, students: list[str] | None = None,
             deadlines: Deadlines | None = None, hidden_cases: str | None = None) -> list[Page]:
    """Write the feedback pages of ``assignment`` for every submission (or the named students).

    ``deadlines`` (default: course.toml's) says how lateness is described; ``hidden_cases`` (always, after_due,
    never; default: course.toml's ``[feedback] hidden_cases``) whether failed hidden cases show what they expected.
    """
    cd = cd or CourseDir.open()
    deadlines = deadlines if deadlines is not None else settings.load().deadlines()
    t = table(cd, [assignment])
    exercises = t.exercises[assignment]
    several = t.several(assignment)
    pages = []
    for row in t.rows_of(assignment):
        if row.status in (NO_SUBMISSION, NOT_GRADED) or (students and row.student not in students):
            continue
        for notebook in dict.fromkeys(e.notebook for e in exercises):
            path = cd.feedback / row.student / assignment / f"{notebook}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(cd, row, exercises, notebook, several, deadlines, hidden_cases),
                            encoding="utf-8", errors="replace")
            pages.append(Page(row.student, assignment, path))
    return pages
