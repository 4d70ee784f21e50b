"""The ``report`` command: one self-contained HTML page on the whole class (plots inlined as PNG).

Per assignment: the distribution of scores, the pass rate of each exercise (the share of graded submissions with
full points on it: where the class struggles), and the submissions that need the instructor: those that failed to
grade (missing, invalid, rejected, timed out, kernel died, grading error), or are flagged (manual grading needed,
late).
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import statistics
from pathlib import Path

from ..course import settings
from ..course.coursedir import CourseDir
from ..grading import results
from .grades import NO_SUBMISSION, NOT_GRADED, UNGRADED, Table, fmt, table

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1d2330;line-height:1.45}h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:2px solid #dde2ea}
.sub{color:#5b6475;margin-top:0}.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#f3f5f9;
border-radius:6px;padding:.6rem 1rem}.card b{display:block;font-size:1.3rem}
.plots{display:flex;gap:1rem;flex-wrap:wrap}.plots img{max-width:100%;border:1px solid #dde2ea;border-radius:4px}
table{border-collapse:collapse;margin-top:.8rem}th,td{border-bottom:1px solid #dde2ea;padding:.35rem .6rem;
text-align:left;vertical-align:top}th{background:#f3f5f9}.bad{color:#b42318}.warn{color:#8a6100}
"""


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _plots(t: Table, assignment: str) -> tuple[str | None, str | None]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in t.rows_of(assignment) if r.total is not None]
    exercises = t.exercises[assignment]
    if not rows:
        return None, None
    max_total = rows[0].max_total or 1.0
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    bins = min(20, max(5, int(max_total)))
    ax.hist([r.total or 0.0 for r in rows], bins=bins, range=(0, max_total), color="#4c6ef5", edgecolor="white")
    ax.set_xlabel(f"score (out of {fmt(max_total)})")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: score distribution")
    ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    histogram = _png(fig)

    rates = pass_rates(t, assignment)
    names = [e.column(t.several(assignment)) for e in exercises]
    fig, ax = plt.subplots(figsize=(5.5, 0.35 * len(names) + 1.2))
    values = [100 * rates[n] for n in names]
    colors = ["#e03131" if v < 50 else "#f59f00" if v < 80 else "#2f9e44" for v in values]
    ax.barh(names[::-1], values[::-1], color=colors[::-1])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions with full points")
    ax.set_title(f"{assignment}: pass rate per exercise")
    bars = _png(fig)
    return histogram, bars


def pass_rates(t: Table, assignment: str) -> dict[str, float]:
    """Share of executed submissions with full points, per exercise column."""
    rows = [r for r in t.rows_of(assignment) if r.status in results.EXECUTED or r.status == UNGRADED]
    rates = {}
    for e in t.exercises[assignment]:
        column = e.column(t.several(assignment))
        full = sum(1 for r in rows if (r.points.get(column) or 0) >= e.max_score)
        rates[column] = full / len(rows) if rows else 0.0
    return rates


def attention(t: Table, assignment: str) -> list[tuple[str, str, str]]:
    """(student, what, why) for submissions that failed to grade or are flagged."""
    found = []
    for r in t.rows_of(assignment):
        if r.status in (NO_SUBMISSION,):
            continue
        if r.status not in (results.GRADED,):
            found.append((r.student, r.label, r.reason))
        if r.flags:
            found.append((r.student, "flagged for a look", "; ".join(r.flags)))
        elif r.status == results.GRADED and r.needs_manual_grade:
            found.append((r.student, "needs manual grading", "some cells wait for a grader in formgrader"))
        if r.late_penalty:
            found.append((r.student, "late", f"penalty {fmt(r.late_penalty)} points"))
    return found


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render(cd: CourseDir, t: Table) -> str:
    esc = html.escape
    course = settings.load()
    parts = []
    for assignment in t.assignments:
        rows = t.rows_of(assignment)
        scored = [r.total for r in rows if r.total is not None]
        submitted = [r for r in rows if r.status not in (NO_SUBMISSION,)]
        graded = [r for r in rows if r.status == results.GRADED]
        max_total = rows[0].max_total if rows else 0
        cards = [("students", len(rows)), ("submitted", len(submitted)), ("graded", len(graded)),
                 ("mean", f"{statistics.mean(scored):.1f} / {fmt(max_total)}" if scored else "–"),
                 ("median", f"{statistics.median(scored):g}" if scored else "–")]
        histogram, bars = _plots(t, assignment)
        rates = pass_rates(t, assignment)
        hardest = sorted(rates.items(), key=lambda kv: kv[1])
        flagged = attention(t, assignment)
        parts.append(f"<h2>{esc(assignment)}</h2><div class='cards'>"
                     + "".join(f"<div class='card'>{esc(k)}<b>{esc(str(v))}</b></div>" for k, v in cards)
                     + "</div><div class='plots'>"
                     + "".join(f"<img alt='{alt}' src='{src}'>" for alt, src in
                               (("score distribution", histogram), ("pass rate per exercise", bars)) if src)
                     + "</div>")
        if hardest:
            parts.append("<h3>Exercises, hardest first</h3><table><tr><th>exercise</th><th>pass rate</th></tr>"
                         + "".join(f"<tr><td><code>{esc(n)}</code></td><td class='{'bad' if v < .5 else ''}'>"
                                   f"{100 * v:.0f}%</td></tr>" for n, v in hardest) + "</table>")
        parts.append("<h3>Failed to grade or flagged</h3>")
        if flagged:
            parts.append("<table><tr><th>student</th><th>what</th><th>why</th></tr>"
                         + "".join(f"<tr><td>{esc(s)}</td><td class='warn'>{esc(w)}</td><td>{esc(y)}</td></tr>"
                                   for s, w, y in flagged) + "</table>")
        else:
            parts.append("<p>None: every submission graded cleanly.</p>")
        not_graded = [r.student for r in rows if r.status == NOT_GRADED]
        if not_graded:
            parts.append(f"<p class='warn'>Submitted but not autograded yet: {esc(', '.join(not_graded))}</p>")
    generated = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(course.title)}: class report</title>
<style>{STYLE}</style></head><body>
<h1>{esc(course.title)}: class report</h1>
<p class="sub">{_count(len({r.student for r in t.rows}), "student")}, {_count(len(t.assignments), "assignment")}.
Generated {generated} from {esc(str(cd.root))}.</p>
{"".join(parts) if t.assignments else "<p>No assignment in the gradebook yet.</p>"}
</body></html>
"""


def report(cd: CourseDir | None = None, output: Path | None = None, assignments: list[str] | None = None) -> Path:
    """Write the class report (default: reports/report.html in the course folder) and return its path."""
    cd = cd or CourseDir.open()
    output = output or cd.reports / "report.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(cd, table(cd, assignments)), encoding="utf-8", errors="replace")
    return output
