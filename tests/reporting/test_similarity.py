"""similarity: a copied pair (variables renamed, exercises reordered, comments changed) among honest look-alikes
ranks first and is the only pair flagged; the page shows both sides, escapes student text, and opens in a browser.

The class: assignment 01's release notebook answered by 14 honest students, each picking for every exercise the
reference answer or one of the corpus's correct alternatives (sometimes a typical mistake): short functions that
many students write the same way. One of them is copied and disguised (coursetools.samples.copied).
"""

from __future__ import annotations

import random
import shutil
import subprocess

import nbformat
import pytest

from coursetools import samples
from coursetools.course import settings
from coursetools.course.coursedir import CourseDir
from coursetools.reporting import similarity
from coursetools.samples.copied import copied

A = "01_numpy_basics"
HONEST = 14
SCRIPT = "</pre><script>alert('copied')</script>"


def _answers(rng: random.Random) -> dict[str, str]:
    module = samples.corpus(A)
    answers = {}
    for gid, reference in samples.solution_code(A).items():
        options = [reference, *module.CORRECT.get(gid, {}).values()]
        if rng.random() < 0.15 and module.WRONG.get(gid):
            options = list(module.WRONG[gid].values())
        answers[gid] = rng.choice(options)
    return answers


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> CourseDir:
    cd = CourseDir.open(tmp_path_factory.mktemp("similar") / "course")
    release = settings.load().release_notebook(A)
    cd.release_dir(A).mkdir(parents=True)
    shutil.copy(release, cd.release_notebook(A))
    notebook = nbformat.read(release, as_version=4)
    rng = random.Random(16)
    for k in range(HONEST):
        samples.write(cd, A, [samples.Submission(f"honest-{k:02d}", samples.dump(
            samples.answered(notebook, _answers(rng))), "honest")])
    original = samples.answered(notebook, _answers(rng))
    copy = copied(original, swap=("sigmoid", "softmax"))
    copy.cells.append(nbformat.v4.new_code_cell(f"note = \"{SCRIPT}\"\nprint(note)"))
    samples.write(cd, A, [samples.Submission("original", samples.dump(original), "honest"),
                          samples.Submission("copier", samples.dump(copy), "the original, disguised"),
                          samples.Submission("untouched", samples.dump(notebook), "the release")])
    return cd


def test_the_copied_pair_ranks_first_and_no_honest_pair_is_flagged(course):
    report, page = similarity.similarity(A, course)
    ranking = [(p.a, p.b, p.similarity, p.flagged) for p in report.pairs]
    print("\nsimilarity ranking (top 5):", *[f"  {a} & {b}: {100 * s:.0f}%{' FLAGGED' if f else ''}"
                                           for a, b, s, f in ranking[:5]], sep="\n")
    assert (report.pairs[0].a, report.pairs[0].b) == ("copier", "original")
    assert [(p.a, p.b) for p in report.flagged] == [("copier", "original")]
    assert report.pairs[0].similarity >= 0.8
    assert all(p.similarity < report.threshold for p in report.pairs[1:]), "every honest pair stays below the flag"
    assert report.skipped == {"untouched": "no code of their own (the release notebook, untouched)"}
    assert report.students == HONEST + 2


def test_starter_code_and_test_cells_are_not_compared(course):
    documents, starter, _ = similarity.submissions(course, A)
    code = documents["honest-00"]
    assert "YOUR CODE HERE" not in code and "check." not in code, "no stub, no test cell"
    assert "# ---- sigmoid ----" in code
    # Moving exercises around does not change what is compared: answers are read in the release's order.
    copier, original = documents["copier"], documents["original"]
    order = lambda text: [line for line in text.splitlines() if line.startswith("# ---- ")]  # noqa: E731
    assert order(copier)[:-1] == order(original), "the same answers, in the same order (plus the copier's own cell)"


def test_the_page_escapes_student_text_and_opens_in_chromium(course, tmp_path):
    report, page = similarity.similarity(A, course)
    text = page.read_text()
    assert "<script>alert" not in text and "&lt;/pre&gt;&lt;script&gt;alert" in text
    assert text.count("<mark class='rare'>") > 10 and "copier &amp; original" in text
    assert similarity.load(course, A).flagged[0].a == "copier"
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("Debian's chromium is not installed")
    profile = tmp_path / "profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "class=\"rare\"" in dom.stdout and "pair-1" in dom.stdout and "<script>alert" not in dom.stdout
    shot = tmp_path / "similarity.png"
    subprocess.run([chromium, *flags, "--window-size=1400,1000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000
