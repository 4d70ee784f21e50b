"""The service's HTML pages: plain server-rendered HTML, every student-supplied text escaped, no script.

The status page refreshes itself (``<meta http-equiv="refresh">``) until the feedback is there, so it works in any
browser and behind any proxy. Forms carry a CSRF token bound to the session (:meth:`Store.csrf`).
"""

from __future__ import annotations

import datetime
import html
from urllib.parse import quote

from ..course import settings as course_settings
from ..grading import results
from ..reporting.feedback import STYLE
from ..reporting.grades import fmt
from .config import BEST, ServeSettings
from .store import DONE, GRADING, QUEUED, Attempt

esc = html.escape

NAV_STYLE = """nav{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #dde2ea;padding-bottom:.5rem;
margin-bottom:1rem}nav .me{margin-left:auto;color:#5b6475}nav form{display:inline}"""
EXTRA_STYLE = NAV_STYLE + """
button,input[type=submit]{font:inherit;
padding:.35rem .9rem;border-radius:4px;border:1px solid #3b5bdb;background:#3b5bdb;color:#fff;cursor:pointer}
button.link{background:none;border:none;color:#3b5bdb;padding:0}.card{background:#f3f5f9;border-radius:6px;
padding:.8rem 1rem;margin:1rem 0}.error{background:#fdecea;border-left:4px solid #b42318;padding:.6rem .9rem}
.okbox{background:#e8f5ec;border-left:4px solid #1a7f37;padding:.6rem .9rem}label{display:block;margin:.4rem 0}
input[type=password],input[type=text],select{font:inherit;padding:.3rem;min-width:20rem}
"""


def when(t: float | None) -> str:
    if t is None:
        return ""
    return datetime.datetime.fromtimestamp(t).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def page(title: str, body: str, *, who: str = "", csrf: str = "", refresh: float | None = None) -> str:
    course = course_settings.load()
    logout = (f'<form method="post" action="/logout"><input type="hidden" name="csrf" value="{esc(csrf)}">'
              f'<button class="link" type="submit">sign out</button></form>') if who else ""
    meta = f'<meta http-equiv="refresh" content="{refresh:g}">' if refresh else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
{meta}<title>{esc(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head><body>
<nav><a href="/">{esc(course.title)}</a><span class="me">{esc(who)}</span>{logout}</nav>
{body}
</body></html>
"""


def login(message: str = "", next_url: str = "/", csrf: str = "") -> str:
    error = f'<p class="error" role="alert">{esc(message)}</p>' if message else ""
    return page("Sign in", f"""<h1>Sign in</h1>
<p>Paste the token your instructor sent you. It is yours alone: do not share it.</p>{error}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{esc(csrf)}"><input type="hidden" name="next" value="{esc(next_url)}">
<label>Token <input type="password" name="token" id="token" autocomplete="current-password" required></label>
<input type="submit" id="signin" value="Sign in"></form>""")


def message(title: str, text: str, *, who: str = "", csrf: str = "", back: str = "/") -> str:
    return page(title, f'<h1>{esc(title)}</h1><p class="error" role="alert">{esc(text)}</p>'
                       f'<p><a href="{esc(back)}">Back</a></p>', who=who, csrf=csrf)


def _status_label(a: Attempt) -> str:
    if a.state == QUEUED:
        return "waiting to be graded"
    if a.state == GRADING:
        return "being graded"
    return results.LABELS.get(a.status, a.status)


def _score(a: Attempt) -> str:
    if a.state != DONE or a.score is None:
        return "&ndash;"
    return f"{fmt(a.score)} / {fmt(a.max_score)}"


def rules(settings: ServeSettings) -> str:
    record = ("your best attempt" if settings.grade_of_record == BEST else "your last attempt")
    return (f"You may hand in each assignment {settings.attempts_per_hour} times an hour and "
            f"{settings.attempts_per_day} times a day. Your grade is {record} handed in before the due date; "
            f"every attempt and its feedback are kept.")


def home(student: str, csrf: str, assignments, attempts: list[Attempt], settings: ServeSettings,
         due=lambda name: None, notice: str = "") -> str:
    options = "".join(f'<option value="{esc(a.name)}">{esc(a.name)}'
                      + (f" (due {esc(when(due(a.name)))})" if due(a.name) else "") + "</option>" for a in assignments)
    rows = "".join(
        f'<tr><td>{esc(a.assignment)}</td><td>{a.number}</td><td>{esc(when(a.submitted_at))}'
        f'{" (late)" if a.late else ""}</td><td>{esc(_status_label(a))}</td><td>{_score(a)}'
        f'{" &#9733; of record" if a.of_record else ""}</td>'
        f'<td><a href="/submissions/{quote(a.public_id)}">{"feedback" if a.state == DONE else "status"}</a></td></tr>'
        for a in reversed(attempts))
    table = (f"<table><thead><tr><th>assignment</th><th>attempt</th><th>handed in</th><th>status</th><th>score</th>"
             f"<th></th></tr></thead><tbody>{rows}</tbody></table>") if attempts else "<p>No hand-in yet.</p>"
    note = f'<p class="okbox">{esc(notice)}</p>' if notice else ""
    form = f"""<form method="post" action="/submit" enctype="multipart/form-data" class="card">
<input type="hidden" name="csrf" value="{esc(csrf)}">
<label>Assignment <select name="assignment" id="assignment">{options}</select></label>
<label>Notebook (.ipynb) <input type="file" name="notebook" id="notebook" accept=".ipynb" required></label>
<input type="submit" id="handin" value="Hand in"></form>""" if assignments else "<p>No assignment is open.</p>"
    return page("Hand in", f"""<h1>Hand in a notebook</h1>{note}
<p class="sub">{esc(rules(settings))} Max {settings.max_upload_bytes / 1048576:g} MiB per notebook. From a notebook
cell: <code>from helpers import submit; submit("ASSIGNMENT")</code>.</p>
{form}<h2>Your submissions</h2>{table}""", who=student, csrf=csrf)


def status(a: Attempt, position: int | None, who: str, csrf: str) -> str:
    if a.state == QUEUED:
        where = f" ({position} in the queue)" if position else ""
        text = f"Your notebook is waiting to be graded{where}. This page updates by itself."
    else:
        text = "Your notebook is being graded. This page updates by itself; feedback appears here in a moment."
    return page(f"{a.assignment}: attempt {a.number}", f"""<h1>{esc(a.assignment)}: attempt {a.number}</h1>
<p class="okbox" id="state" data-state="{esc(a.state)}">Received {esc(when(a.submitted_at))}. {esc(text)}</p>
<p><a href="/">Your submissions</a></p>""", who=who, csrf=csrf, refresh=2)


def feedback_banner(a: Attempt, record: Attempt | None, settings: ServeSettings) -> str:
    """The lines above an attempt's feedback: which attempt it is, and which one counts."""
    if a.of_record:
        counts = "This attempt is your grade of record."
    elif record is not None:
        counts = f"Your grade of record is attempt {record.number} ({_score(record)})."
    else:
        counts = "No attempt is of record yet."
    late = " It was handed in after the due date." if a.late else ""
    return (f'<style>{NAV_STYLE}</style><nav><a href="/">&larr; your submissions</a><span class="me">attempt '
            f'{a.number}, handed in {esc(when(a.submitted_at))}.{late} {counts}</span></nav>').replace("&ndash;", "-")


def instructor(counts: dict[str, int], loop_state, assignments, attempts: list[Attempt], students: list[str],
               csrf: str, report_exists: bool, due=lambda name: None) -> str:
    state = loop_state
    problems = "".join(f"<li>{esc(a)}: {esc(why)}</li>" for a, why in state.unavailable.items())
    graded_by: dict[tuple[str, str], list[Attempt]] = {}
    for a in attempts:
        graded_by.setdefault((a.student, a.assignment), []).append(a)
    sections = []
    for info in assignments:
        rows = []
        for student in students:
            mine = graded_by.get((student, info.name), [])
            if not mine:
                rows.append(f"<tr><td>{esc(student)}</td><td>0</td><td></td><td></td><td></td></tr>")
                continue
            record = next((a for a in mine if a.of_record), None)
            links = " ".join(f'<a href="/submissions/{quote(a.public_id)}">{a.number}</a>' for a in mine)
            last = mine[-1]
            rows.append(f"<tr><td>{esc(student)}</td><td>{len(mine)}</td><td>{esc(_status_label(last))}</td>"
                        f"<td>{_score(record) if record else '&ndash;'}</td><td>{links}</td></tr>")
        when_due = due(info.name)
        due_text = f" &middot; due {esc(when(when_due))}" if when_due else ""
        sections.append(f"<h2>{esc(info.name)}{due_text}</h2><table><thead><tr><th>student</th><th>attempts</th>"
                        f"<th>last</th><th>of record</th><th>feedback of each attempt</th></tr></thead><tbody>"
                        f"{''.join(rows)}</tbody></table>")
    report = ('<a href="/instructor/report">the class report</a>'
              + ("" if report_exists else " (written from the gradebook when you open it)"))
    return page("Instructor", f"""<h1>Grading service</h1>
<div class="cards" style="display:flex;gap:1rem;flex-wrap:wrap">
<div class="card" id="queued">waiting <b>{counts.get(QUEUED, 0)}</b></div>
<div class="card" id="grading">being graded <b>{counts.get(GRADING, 0)}</b></div>
<div class="card" id="done">done <b>{counts.get(DONE, 0)}</b></div></div>
<p class="sub">Grader: {esc(state.phase)}{f" ({esc(state.problem)})" if state.problem else ""}; {state.workers}
worker thread(s). {esc(state.notice)}</p>{f"<ul class='error'>{problems}</ul>" if problems else ""}
<p>{report} &middot; <form method="post" action="/instructor/report" style="display:inline">
<input type="hidden" name="csrf" value="{esc(csrf)}"><button class="link" type="submit">write it again from the
gradebook</button></form> &middot; <a href="/docs">the API</a></p>
{"".join(sections)}""", who="instructor", csrf=csrf, refresh=None)
