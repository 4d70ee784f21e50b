"""``similarity``: pairs of submissions whose student-written code is unusually alike, on a page side by side.

What is compared: only what students wrote. From each handed-in notebook (``submitted/<student>/<a>/``) the answer
cells (nbgrader's solution cells) and the code cells the student added; never the test cells, never a cell left as
the release notebook has it. Answer cells are put in the release notebook's order, so moving cells around changes
nothing.

How: `copydetect <https://github.com/blingenf/copydetect>`_ (MIT), the winnowing of Schleimer, Wilkerson and Aiken
("Winnowing: local algorithms for document fingerprinting", SIGMOD 2003; the algorithm of MOSS). copydetect
tokenizes the code with Pygments and replaces every variable name by ``V``, function name by ``F`` and string by
``S``, dropping comments and whitespace, so renamed variables, changed comments and new layout change nothing; it
then hashes every k-gram of the result and keeps the winnowed fingerprints. Two kinds of fingerprints are left out
before comparing, as boilerplate:

* the **starter code and text**: every fingerprint of the release notebook (its code cells and its text, worked
  examples included): what everyone was given is not a sign of copying;
* the **code everyone writes**: a fingerprint found in more than ``common`` submissions (MOSS's ``-m``): a short
  function that the whole class writes the same way (``1 / (1 + np.exp(-x))``) is no evidence either.

Two figures per pair, each the mean over the two students of copydetect's share of one's code found in the other:
**alike**, on all the code they wrote (the starter left out), and **distinctive**, on what remains of it once the
code everyone writes is left out too. Honest students who happen to write several exercises the same way score high
on one of them, seldom on both; a copy scores high on both, because it shares the unusual parts too. The pair's
**similarity** is the smaller of the two, and the pairs are ranked by it; a pair is **flagged** when it reaches
``threshold`` (default 0.75) with at least ``min_shared`` characters of distinctive normalised code in common
(default 100). A flag is a reason to look, not a verdict: the page shows both notebooks side by side, the shared
parts highlighted (darker: distinctive; lighter: code many students wrote), for a person to judge. What cannot be
seen this way: two students who both wrote only what everyone writes.
"""

from __future__ import annotations

import datetime
import html
import io
import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat

from ..course.coursedir import CourseDir

#: copydetect's defaults: k-grams of 25 characters of normalised code, winnowing window of 1 (every k-gram kept).
NOISE = 25
WINDOW = 1
THRESHOLD = 0.75
MIN_SHARED = 100
COMMON_SHARE = 0.2  # a fingerprint in more than max(2, 20% of the class) submissions is common code
SHOWN = 10          # pairs shown side by side besides the flagged ones


@dataclass
class Pair:
    a: str
    b: str
    similarity: float        # min(alike, distinctive): what the pairs are ranked by
    alike: float             # mean share of each one's code (starter left out) found in the other
    distinctive: float       # the same, on the code left once the code everyone writes is left out too
    a_share: float           # share of a's code found in b (starter left out)
    b_share: float
    shared: int              # characters of distinctive normalised code in common
    flagged: bool = False


@dataclass
class Report:
    assignment: str
    students: int                                   # submissions compared
    common: int                                     # a fingerprint in more than this many is common code
    threshold: float
    min_shared: int
    pairs: list[Pair] = field(default_factory=list)  # best first
    skipped: dict[str, str] = field(default_factory=dict)  # student -> why not compared
    generated: str = ""

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        data["pairs"] = [Pair(**p) for p in data.get("pairs", [])]
        return cls(**data)


# --- what the student wrote ---------------------------------------------------------------------------------------
def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_answer(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def student_code(submitted, release) -> list[tuple[str, str]]:
    """(label, code) of what the student wrote: answer cells in the release's order, then the student's own cells."""
    release_code = {c.source.strip() for c in release.cells if c.cell_type == "code"}
    order = {_nbgrader(c).get("grade_id"): i for i, c in enumerate(release.cells) if _is_answer(c)}
    answers: list[tuple[int, str, str]] = []
    own: list[tuple[int, str, str]] = []
    for index, cell in enumerate(submitted.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        meta = _nbgrader(cell)
        if meta.get("grade") or meta.get("locked"):
            continue  # tests and locked cells: the course's, not the student's
        if not source.strip() or source.strip() in release_code:
            continue
        if _is_answer(cell) and meta.get("grade_id") in order:
            answers.append((order[meta["grade_id"]], str(meta["grade_id"]), source))
        else:
            own.append((index, f"own cell {len(own) + 1}", source))
    return [(label, code) for _, label, code in sorted(answers)] + [(label, code) for _, label, code in own]


def document(cells: list[tuple[str, str]]) -> str:
    """The code compared: the cells one after the other, each under a comment naming it (comments are not compared)."""
    return "".join(f"# ---- {label} ----\n{code.rstrip()}\n\n" for label, code in cells)


def release_text(release) -> str:
    """The release notebook's code and text, as one document (its fingerprints are boilerplate)."""
    return "\n\n".join(c.source for c in release.cells)


# --- fingerprints -------------------------------------------------------------------------------------------------
def _fingerprint(code: str):
    from copydetect import CodeFingerprint

    return CodeFingerprint("submission.py", NOISE, WINDOW, fp=io.StringIO(code))


def _without(fp, excluded: set[int]):
    """``fp`` with the fingerprints in ``excluded`` left out (done here: copydetect's own boilerplate removal assumes
    unique hashes, which a document with a repeated line does not have)."""
    from copydetect.utils import get_token_coverage

    if excluded:
        fp.hashes = {h for h in fp.hashes if h not in excluded}
        fp.hash_idx = {h: v for h, v in fp.hash_idx.items() if h not in excluded}
        fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))
    return fp


def compare(documents: dict[str, str], starter: str, *, threshold: float = THRESHOLD, min_shared: int = MIN_SHARED,
            common: int | None = None, assignment: str = "") -> tuple[Report, dict]:
    """Compare every pair of ``documents`` (student -> code); returns the report and the fingerprints (for the page).

    ``starter``: what students were given (its fingerprints are left out); ``common``: a fingerprint in more than
    this many documents is common code (default max(2, 20% of the class): code three students wrote alike is
    common in a class of ten).
    """
    from copydetect import compare_files

    n = len(documents)
    common = common if common is not None else max(2, math.ceil(COMMON_SHARE * n))
    given = set(_fingerprint(starter).hashes) if starter.strip() else set()
    full = {s: _without(_fingerprint(code), given) for s, code in documents.items()}
    holders: dict[int, set[str]] = defaultdict(set)
    for student, fp in full.items():
        for h in fp.hashes:
            holders[h].add(student)
    everyone = {h for h, who in holders.items() if len(who) > common}
    rare = {s: _without(_fingerprint(code), given | everyone) for s, code in documents.items()}
    candidates: set[tuple[str, str]] = set()  # pairs with some distinctive code in common (the others score 0)
    for h, who in holders.items():
        if h not in everyone and len(who) > 1:
            candidates.update(combinations(sorted(who), 2))
    report = Report(assignment, n, common, threshold, min_shared,
                    generated=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    for a, b in sorted(candidates):
        shared, (rare_a, rare_b), _ = compare_files(rare[a], rare[b])
        if not shared:
            continue
        _, (share_a, share_b), _ = compare_files(full[a], full[b])
        share_a, share_b = min(float(share_a), 1.0), min(float(share_b), 1.0)
        alike = round((share_a + share_b) / 2, 4)
        distinctive = round((min(float(rare_a), 1.0) + min(float(rare_b), 1.0)) / 2, 4)
        similarity = min(alike, distinctive)
        report.pairs.append(Pair(a, b, similarity, alike, distinctive, round(share_a, 4), round(share_b, 4),
                                 int(shared), bool(similarity >= threshold and shared >= min_shared)))
    report.pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.a, p.b))
    return report, {"full": full, "rare": rare}


def submissions(cd: CourseDir, assignment: str) -> tuple[dict[str, str], str, dict[str, str]]:
    """(student -> the code they wrote, the release's code and text, student -> why skipped) of ``assignment``."""
    notebooks = sorted(p.stem for p in cd.release_dir(assignment).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no release notebook in {cd.release_dir(assignment)}: release {assignment} first")
    releases = {n: nbformat.read(cd.release_notebook(assignment, n), as_version=4) for n in notebooks}
    starter = "\n\n".join(release_text(nb) for nb in releases.values())
    documents, skipped = {}, {}
    for student in cd.students():
        cells: list[tuple[str, str]] = []
        found = False
        for name in notebooks:
            path = cd.submission_dir(student, assignment) / f"{name}.ipynb"
            if not path.is_file():
                continue
            found = True
            try:
                submitted = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
            except Exception as error:  # noqa: BLE001 - a student's file: skipped, and said so
                skipped[student] = f"{name}.ipynb could not be read ({type(error).__name__})"
                break
            prefix = f"{name}: " if len(notebooks) > 1 else ""
            cells += [(prefix + label, code) for label, code in student_code(submitted, releases[name])]
        else:
            if not found:
                continue
            if not cells:
                skipped[student] = "no code of their own (the release notebook, untouched)"
                continue
            documents[student] = document(cells)
    return documents, starter, skipped


def report_path(cd: CourseDir, assignment: str, suffix: str = ".html") -> Path:
    return cd.reports / "similarity" / f"{assignment}{suffix}"


def load(cd: CourseDir, assignment: str) -> Report | None:
    """The last similarity report of ``assignment`` (reports/similarity/<a>.json), or None."""
    path = report_path(cd, assignment, ".json")
    try:
        return Report.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return None


# --- the page -----------------------------------------------------------------------------------------------------
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:90rem;margin:2rem auto;padding:0 1rem;
color:#1d2330;line-height:1.45}h1{margin-bottom:.2rem}.sub{color:#5b6475;margin-top:0}
table{border-collapse:collapse;margin:.8rem 0}th,td{border-bottom:1px solid #dde2ea;padding:.35rem .6rem;text-align:left}
th{background:#f3f5f9}.flag{color:#b42318;font-weight:600}.pair{margin-top:2.5rem;border-top:2px solid #dde2ea}
.sides{display:flex;gap:1rem}.side{flex:1;min-width:0}.side h3{margin:.4rem 0;font-size:1rem}
pre{white-space:pre-wrap;background:#f6f8fa;padding:.6rem;border-radius:4px;font-size:.82rem;margin:0}
mark{border-radius:2px}mark.rare{background:#ffa94d}mark.common{background:#fff0c2}
"""


def _highlighted(code: str, common, distinctive) -> str:
    """``code`` escaped for HTML, with the shared ranges marked (``slices``: 2 x N arrays of starts and ends):
    ``distinctive`` ones darker than ``common`` ones."""
    level = [0] * len(code)
    for slices, value in ((common, 1), (distinctive, 2)):
        if len(slices) and len(slices[0]):
            for start, end in zip(slices[0], slices[1]):
                for i in range(max(int(start), 0), min(int(end), len(code))):
                    level[i] = max(level[i], value)
    out, i = [], 0
    while i < len(code):
        j = i
        while j < len(code) and level[j] == level[i]:
            j += 1
        text = html.escape(code[i:j])
        out.append(text if level[i] == 0 else f"<mark class='{'rare' if level[i] == 2 else 'common'}'>{text}</mark>")
        i = j
    return "".join(out)


def render(report: Report, documents: dict[str, str], prints: dict) -> str:
    from copydetect import compare_files

    esc = html.escape
    shown = [p for p in report.pairs if p.flagged] + [p for p in report.pairs if not p.flagged][:SHOWN]
    rows = "".join(
        f"<tr><td>{i}</td><td><a href='#pair-{i}'>{esc(p.a)} &amp; {esc(p.b)}</a></td><td>{100 * p.similarity:.0f}%</td>"
        f"<td>{100 * p.alike:.0f}%</td><td>{100 * p.distinctive:.0f}%</td><td>{p.shared}</td>"
        f"<td class='{'flag' if p.flagged else ''}'>{'flagged' if p.flagged else ''}</td></tr>"
        for i, p in enumerate(shown, start=1))
    sections = []
    for i, p in enumerate(shown, start=1):
        _, _, (common_a, common_b) = compare_files(prints["full"][p.a], prints["full"][p.b])
        _, _, (slices_a, slices_b) = compare_files(prints["rare"][p.a], prints["rare"][p.b])
        sections.append(
            f"<section class='pair' id='pair-{i}'><h2>{i}. {esc(p.a)} &amp; {esc(p.b)}: {100 * p.similarity:.0f}% similar"
            f"{' <span class=flag>(flagged)</span>' if p.flagged else ''}</h2><div class='sides'>"
            f"<div class='side'><h3>{esc(p.a)} ({100 * p.a_share:.0f}% of their code is shared)</h3>"
            f"<pre>{_highlighted(documents[p.a], common_a, slices_a)}</pre></div>"
            f"<div class='side'><h3>{esc(p.b)} ({100 * p.b_share:.0f}% of their code is shared)</h3>"
            f"<pre>{_highlighted(documents[p.b], common_b, slices_b)}</pre></div></div></section>")
    skipped = "".join(f"<li>{esc(s)}: {esc(why)}</li>" for s, why in sorted(report.skipped.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similarity: {esc(report.assignment)}</title>
<style>{STYLE}</style></head><body>
<h1>{esc(report.assignment)}: submissions alike</h1>
<p class="sub">{report.students} submissions compared on the code students wrote (answer cells and their own cells;
names, comments and layout normalised); the release notebook's code and text, and code found in more than
{report.common} submissions, set apart as the code everyone writes. A pair's similarity is the smaller of how alike
all their code is and how alike the code few others wrote is; flagged: {100 * report.threshold:.0f}% or more, with
at least {report.min_shared} characters of that distinctive code in common. Highlighted: shared code (darker:
distinctive; lighter: code many students wrote). A flag is a reason to look, not a verdict.
Generated {esc(report.generated)}.</p>
<table><tr><th>#</th><th>pair</th><th>similarity</th><th>alike (all their code)</th>
<th>distinctive (code few wrote)</th><th>distinctive characters shared</th><th></th></tr>
{rows or "<tr><td colspan=7>No two submissions share code beyond what everyone was given or writes.</td></tr>"}
</table>
{f"<p>Not compared:</p><ul>{skipped}</ul>" if skipped else ""}
{"".join(sections)}
</body></html>
"""


def similarity(assignment: str, cd: CourseDir | None = None, *, threshold: float = THRESHOLD,
               min_shared: int = MIN_SHARED, common: int | None = None) -> tuple[Report, Path]:
    """Compare the submissions of ``assignment``; write reports/similarity/<a>.html and .json; (report, page)."""
    cd = cd or CourseDir.open()
    documents, starter, skipped = submissions(cd, assignment)
    report, prints = compare(documents, starter, threshold=threshold, min_shared=min_shared, common=common,
                             assignment=assignment)
    report.skipped = skipped
    page = report_path(cd, assignment)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render(report, documents, prints), encoding="utf-8")
    report_path(cd, assignment, ".json").write_text(report.to_json(), encoding="utf-8")
    return report, page
