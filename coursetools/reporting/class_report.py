"""The ``report`` command: one self-contained HTML page on the whole class (plots inlined as PNG).

Per assignment: the distribution of scores, the pass rate of each exercise (the share of graded submissions with
full points on it: where the class struggles), what the class got wrong (per exercise, the failure messages and
diagnoses most students hit, with counts: :mod:`.mistakes`), the pairs the similarity report flagged, and the
submissions that need the instructor: those that failed to grade (missing, invalid, rejected, timed out, kernel died, grading
error), or are flagged (manual grading needed, late, with the lateness and the penalty).
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
from . import similarity
from .grades import NO_SUBMISSION, NOT_GRADED, UNGRADED, Table, fmt, table
from .mistakes import class_mistakes

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1d2330;line-height:1.45}h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:2px solid #dde2ea}
.sub{color:#5b6475;margin-top:0}.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#f3f5f9;
border-radius:6px;padding:.6rem 1rem}.card b{display:block;font-size:1.3rem}
.plots{display:flex;gap:1rem;flex-wrap:wrap}.plots img{max-width:100%;border:1px solid #dde2ea;border-radius:4px}
table{border-collapse:collapse;margin-top:.8rem}th,td{border-bottom:1px solid #dde2ea;padding:.35rem .6rem;
text-align:left;vertical-align:top}th{background:#f3f5f9}.bad{color:#b42318}.warn{color:#8a6100}
td ul{margin:0;padding-left:1.1rem}
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
        if r.seconds_late or r.late_penalty:
            extension = f" (extension {r.extension})" if r.extension else ""
            when = f"{r.late} after the due date{extension}" if r.seconds_late else "after the due date"
            found.append((r.student, "late", f"{when}: penalty {fmt(r.late_penalty)} points"))
        elif r.extension:
            found.append((r.student, "extension", f"{r.extension}: on time"))
    return found


def mistakes_table(t: Table, assignment: str, top: int = 3) -> str:
    """What the class got wrong, per exercise with failures: the messages and diagnoses most students hit."""
    esc = html.escape
    rows = []
    for m in class_mistakes(t, assignment):
        if not m.failed:
            continue
        said = "".join(f"<li><code>{esc(text)}</code> <b>&times;{n}</b></li>" for text, n in m.messages[:top])
        more = len(m.messages) - top
        said += f"<li class='sub'>{more} other message{'s' if more != 1 else ''}</li>" if more > 0 else ""
        why = "".join(f"<li>{esc(text)} <b>&times;{n}</b></li>" for text, n in m.diagnoses[:top])
        rows.append(f"<tr><td><code>{esc(m.exercise)}</code></td><td>{m.failed} of {m.attempted}</td>"
                    f"<td><ul>{said}</ul></td><td><ul>{why}</ul></td></tr>")
    if not rows:
        return "<p>No exercise lost points.</p>"
    return ("<table><tr><th>exercise</th><th>students who lost points</th><th>what they were told (first line; "
            "how many students)</th><th>likely mistakes (how many students)</th></tr>" + "".join(rows) + "</table>")


def similar_pairs(cd: CourseDir, assignment: str) -> str:
    """The pairs the last ``similarity`` run flagged, with a link to its page."""
    esc = html.escape
    found = similarity.load(cd, assignment)
    if found is None:
        return (f"<p class='sub'>Not compared yet: <code>python -m coursetools similarity {esc(assignment)}</code> "
                f"compares the submissions.</p>")
    page = similarity.report_path(cd, assignment)
    link = f"<a href='{esc(page.as_uri())}'>the similarity page</a>"
    if not found.flagged:
        return f"<p>No pair flagged among {found.students} submissions ({link}).</p>"
    return ("<table><tr><th>pair</th><th>similarity</th><th>distinctive code shared</th></tr>"
            + "".join(f"<tr><td class='warn'>{esc(p.a)} &amp; {esc(p.b)}</td><td>{100 * p.similarity:.0f}%</td>"
                      f"<td>{p.shared} characters</td></tr>" for p in found.flagged)
            + f"</table><p class='sub'>Side by side, shared parts highlighted: {link}. A flag is a reason to look, "
              f"not a verdict.</p>")


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
        parts.append("<h3>What the class got wrong</h3>" + mistakes_table(t, assignment))
        parts.append("<h3>Submissions alike</h3>" + similar_pairs(cd, assignment))
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
