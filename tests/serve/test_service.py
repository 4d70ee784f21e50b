"""The grading service without grading: who is who, what an upload must be, limits, CSRF, recovery (fast tests).

The application runs in-process (FastAPI's TestClient) on the tiny course, with the grading thread off: attempts
stay queued, which is all these tests need. tests/serve/test_end_to_end.py grades for real.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import stat
import time

import nbformat
import pytest
from fastapi.testclient import TestClient

from coursetools.cli import main as cli
from coursetools.course.coursedir import CourseDir
from coursetools.serve import layout
from coursetools.serve.app import LOGIN_COOKIE, SESSION_COOKIE, create_app
from coursetools.serve.config import ServeSettings
from coursetools.serve.service import Service
from coursetools.serve.store import GRADING, QUEUED, Store
from coursetools.serve.tokens import INSTRUCTOR, STUDENT
from tests.support.course import REFERENCE, TINY, answered, make_course

TOKENS = {"alice": "alice-token-0123456789abcdef", "bob": "bob-token-0123456789abcdef",
          "carol": "carol-token-0123456789abcdef"}
TEACHER = "instructor-token-0123456789abcdef"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The tiny course, released once; tests that need a course of their own get a copy."""
    return make_course(tmp_path_factory.mktemp("serve-template") / "course")


def fresh(template, tmp_path):
    shutil.copytree(template.root, tmp_path / "course")
    return CourseDir.open(tmp_path / "course")


@pytest.fixture(scope="module")
def course(template, tmp_path_factory):
    cd = fresh(template, tmp_path_factory.mktemp("serve"))
    store = Store(layout.service_dir(cd))
    for student, token in TOKENS.items():
        store.set_token(student, STUDENT, token)
    store.set_token("instructor", INSTRUCTOR, TEACHER)
    return cd


@pytest.fixture(scope="module")
def notebook(course) -> bytes:
    return nbformat.writes(answered(course, REFERENCE)).encode()


def _app(course, **settings):
    service = Service(course, ServeSettings(**{"attempts_per_hour": 50, "attempts_per_day": 100, **settings}),
                      grade=False)
    return service, TestClient(create_app(service))


def _post(client, token, data: bytes, assignment=TINY, filename="tiny.ipynb", **fields):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/submissions", headers=headers, data={"assignment": assignment, **fields},
                       files={"notebook": (filename, data, "application/octet-stream")})


def _sign_in(client, token) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post("/login", data={"token": token, "csrf": csrf, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    home = client.get("/")
    return re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)


# --- tokens ---------------------------------------------------------------------------------------------------------
def test_tokens_command_writes_tokens_and_keeps_only_hashes(template, tmp_path, capsys):
    cd = fresh(template, tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nann,Ann,A,a@x\nben,Ben,B,b@x\n", encoding="utf-8")
    out = tmp_path / "tokens.csv"
    assert cli(["tokens", str(roster), "--out", str(out), "--root", str(cd.root)]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "id,token" and [r.split(",")[0] for r in rows[1:]] == ["ann", "ben"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    tokens = dict(r.split(",") for r in rows[1:])
    store = Store(layout.service_dir(cd))
    assert store.who(tokens["ann"]) == ("ann", STUDENT) and store.who("ann") is None
    database = (layout.service_dir(cd) / "service.db").read_bytes()
    assert all(t.encode() not in database for t in tokens.values())  # only keyed hashes are kept
    # A new token for ann: the old one stops working; --only-new leaves the others alone.
    assert cli(["tokens", str(roster), "--out", str(out), "--root", str(cd.root)]) == 0
    again = dict(r.split(",") for r in out.read_text().splitlines()[1:])
    assert store.who(tokens["ann"]) is None and store.who(again["ann"]) == ("ann", STUDENT)
    assert cli(["tokens", str(roster), "--out", str(out), "--only-new", "--root", str(cd.root)]) == 0
    assert out.read_text() == "id,token\n"
    bad = tmp_path / "bad.csv"
    bad.write_text("id\n../etc\n", encoding="utf-8")
    assert cli(["tokens", str(bad), "--out", str(out), "--root", str(cd.root)]) == 2
    assert "cannot be student folders" in capsys.readouterr().err


# --- the API: who is who -----------------------------------------------------------------------------------------
def test_missing_or_wrong_token_is_401_with_a_plain_message(course, notebook):
    _, client = _app(course)
    with client:
        for token in (None, "not-a-token"):
            answer = _post(client, token, notebook)
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"] == "Bearer"
            assert "token" in answer.json()["detail"]
        assert client.get("/api/submissions", headers={"Authorization": "Bearer nope"}).status_code == 401
        page = client.get("/")
        assert page.status_code == 401 and "Sign in" in page.text


def test_upload_is_on_disk_before_the_answer_and_status_says_queued(course, notebook):
    service, client = _app(course)
    with client:
        answer = _post(client, TOKENS["alice"], notebook)
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["status"] == QUEUED and body["score"] is None and body["feedback_url"] is None
        attempt = service.store.get(body["id"])
        folder = layout.attempt_dir(course, "alice", TINY, attempt.number)
        assert (folder / "tiny.ipynb").read_bytes() == notebook
        assert "UTC" in (folder / "timestamp.txt").read_text()
        meta = json.loads((folder / "attempt.json").read_text())
        assert meta["student"] == "alice" and meta["size"] == len(notebook)
        status = client.get(body["status_url"], headers={"Authorization": f"Bearer {TOKENS['alice']}"})
        assert status.status_code == 200 and status.json()["status"] == QUEUED
        assert {"status", "score", "max_score", "feedback_url"} <= set(status.json())
        # nbgrader's tools see only submitted/<student>/<assignment>/: the attempts' folder starts with a dot,
        # which their globs skip.
        assert glob.glob(str(course.submitted / "alice" / "*")) == []


def test_a_student_never_sees_another_students_submission(course, notebook):
    _, client = _app(course)
    with client:
        mine = _post(client, TOKENS["alice"], notebook).json()
        for token in (TOKENS["bob"],):
            answer = client.get(mine["status_url"], headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 404
            listing = client.get("/api/submissions", headers={"Authorization": f"Bearer {token}"}).json()
            assert mine["id"] not in {a["id"] for a in listing}
        _sign_in(client, TOKENS["bob"])
        assert client.get(f"/submissions/{mine['id']}").status_code == 404
        assert client.get(f"/submissions/{mine['id']}/feedback").status_code == 404
        assert client.get("/instructor").status_code == 403
        # The instructor sees everyone's.
        teacher = client.get(mine["status_url"], headers={"Authorization": f"Bearer {TEACHER}"})
        assert teacher.status_code == 200


def test_a_forged_student_id_is_refused(course, notebook):
    _, client = _app(course)
    with client:
        answer = _post(client, TOKENS["alice"], notebook, student="bob")
        assert answer.status_code == 403 and "belongs to alice" in answer.json()["detail"]
        assert _post(client, TOKENS["alice"], notebook, student="alice").status_code == 202
        assert _post(client, TEACHER, notebook).status_code == 403  # the instructor does not hand in


# --- what an upload must be ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, status, words", [
    ("not json", 422, "not valid JSON"),
    ("binary", 422, "not UTF-8"),
    ("empty", 400, "empty"),
    ("other notebook", 422, "none of the exercises"),
    ("no cells", 422, "not a Jupyter notebook"),
])
def test_non_notebook_bytes_are_refused_with_a_reason(course, case, status, words):
    data = {"not json": b"{ this is not json", "binary": b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
            "empty": b"", "other notebook": nbformat.writes(nbformat.v4.new_notebook(
                cells=[nbformat.v4.new_code_cell("x = 1")])).encode(),
            "no cells": b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}'}[case]
    _, client = _app(course)
    with client:
        answer = _post(client, TOKENS["carol"], data)
        assert answer.status_code == status, answer.text
        assert words in answer.json()["detail"]


def test_oversize_uploads_are_refused_before_they_are_kept(course, notebook):
    service, client = _app(course, max_upload_bytes=64 * 1024)
    before = len(service.store.attempts("carol"))
    with client:
        big = notebook + b" " * (300 * 1024)
        answer = _post(client, TOKENS["carol"], big)
        assert answer.status_code == 413 and "larger than the 0.0625 MiB" in answer.json()["detail"]
        # Just over the notebook limit but under the form's: refused by the check of the file itself.
        answer = _post(client, TOKENS["carol"], notebook + b" " * (70 * 1024))
        assert answer.status_code == 413
        # Sent without a Content-Length (chunked): counted as it arrives.
        body = iter([b"x" * 65536] * 8)
        answer = client.post("/api/submissions", content=body, headers={
            "Authorization": f"Bearer {TOKENS['carol']}", "Content-Type": "multipart/form-data; boundary=zz"})
        assert answer.status_code == 413
    assert len(service.store.attempts("carol")) == before


@pytest.mark.parametrize("assignment, filename, status", [
    ("../../etc", "tiny.ipynb", 400),
    ("tiny/../tiny", "tiny.ipynb", 400),
    ("no_such_assignment", "tiny.ipynb", 404),
    ("tiny", "../../evil.ipynb", 400),
    ("tiny", "..\\evil.ipynb", 400),
    ("tiny", "notes.txt", 415),
])
def test_path_tricks_and_wrong_names_are_refused(course, notebook, assignment, filename, status):
    _, client = _app(course)
    with client:
        answer = _post(client, TOKENS["carol"], notebook, assignment=assignment, filename=filename)
        assert answer.status_code == status, answer.text
    assert not (course.root / "evil.ipynb").exists() and not (course.root.parent / "evil.ipynb").exists()


# --- limits ----------------------------------------------------------------------------------------------------------
def test_attempts_per_hour_are_limited_with_the_time_of_the_next(course, notebook):
    service, client = _app(course, attempts_per_hour=2)
    student = "bob"
    already = sum(1 for a in service.store.attempts(student) if a.submitted_at > time.time() - 3600)
    with client:
        for _ in range(max(0, 2 - already)):
            assert _post(client, TOKENS[student], notebook).status_code == 202
        refused = _post(client, TOKENS[student], notebook)
        assert refused.status_code == 429
        detail = refused.json()["detail"]
        assert "allows 2 an hour" in detail and "next attempt is possible at" in detail
        assert 0 < int(refused.headers["retry-after"]) <= 3600 and refused.json()["next_attempt_at"].endswith("Z")


def test_attempts_per_day_are_limited(template, tmp_path, notebook):
    cd = fresh(template, tmp_path)
    Store(layout.service_dir(cd)).set_token("dan", STUDENT, "dan-token-0123456789")
    service = Service(cd, ServeSettings(attempts_per_hour=10, attempts_per_day=3), grade=False)
    with TestClient(create_app(service)) as client:
        for _ in range(3):
            assert _post(client, "dan-token-0123456789", notebook).status_code == 202
        refused = _post(client, "dan-token-0123456789", notebook)
        assert refused.status_code == 429 and "a day" in refused.json()["detail"]


def test_the_queue_is_bounded(template, tmp_path, notebook):
    cd = fresh(template, tmp_path)
    store = Store(layout.service_dir(cd))
    for i in range(3):
        store.set_token(f"s{i}", STUDENT, f"token-of-s{i}-0123456789")
    service = Service(cd, ServeSettings(queue_limit=2), grade=False)
    with TestClient(create_app(service)) as client:
        assert _post(client, "token-of-s0-0123456789", notebook).status_code == 202
        assert _post(client, "token-of-s1-0123456789", notebook).status_code == 202
        full = _post(client, "token-of-s2-0123456789", notebook)
        assert full.status_code == 503 and "try again in a few minutes" in full.json()["detail"]
        assert "retry-after" in full.headers


def test_fair_turns_between_students(tmp_path):
    store = Store(tmp_path / "service")
    noop = lambda number, public_id: {"size": 1, "sha256": "", "via": "test"}  # noqa: E731
    for student, n in (("eve", 4), ("fay", 1), ("gus", 2)):
        for i in range(n):
            store.admit(student, "a", time.time() + i * 0.001, 100, 100, 100, noop)
    order = []
    while (attempt := store.next_attempt({"a"})) is not None:
        order.append(attempt.student)
        store.finish(attempt, "graded", "", 1.0, 1.0, False)
    assert order == ["eve", "fay", "gus", "eve", "gus", "eve", "eve"]


def test_one_student_never_has_two_attempts_graded_at_once(tmp_path):
    store = Store(tmp_path / "service")
    noop = lambda number, public_id: {"size": 1, "sha256": "", "via": "test"}  # noqa: E731
    for _ in range(2):
        store.admit("eve", "a", time.time(), 100, 100, 100, noop)
    first = store.next_attempt({"a"})
    assert first is not None and store.next_attempt({"a"}) is None
    store.finish(first, "graded", "", 1.0, 1.0, True)
    assert store.next_attempt({"a"}) is not None


# --- the browser's forms ---------------------------------------------------------------------------------------------
def test_browser_sign_in_upload_and_csrf(course, notebook):
    _, client = _app(course)
    with client:
        # Signing in without the form's CSRF token (a cross-site form) is refused.
        client.cookies.clear()
        assert client.post("/login", data={"token": TOKENS["carol"], "csrf": "x"}).status_code == 403
        wrong = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', wrong.text).group(1)
        assert LOGIN_COOKIE in client.cookies
        bad = client.post("/login", data={"token": "wrong", "csrf": csrf})
        assert bad.status_code == 401 and "not valid" in bad.text
        token = _sign_in(client, TOKENS["carol"])
        assert SESSION_COOKIE in client.cookies
        files = {"notebook": ("tiny.ipynb", notebook, "application/octet-stream")}
        # A form posted from another site has no (or a wrong) CSRF token: refused, nothing kept.
        for forged in ("", "0" * 40):
            answer = client.post("/submit", data={"assignment": TINY, "csrf": forged}, files=files)
            assert answer.status_code == 403 and "CSRF" in answer.text
        answer = client.post("/submit", data={"assignment": TINY, "csrf": token}, files=files, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/submissions/")
        status = client.get(answer.headers["location"])
        assert status.status_code == 200 and 'http-equiv="refresh"' in status.text and "waiting" in status.text
        home = client.get("/")
        assert "carol" in home.text and answer.headers["location"] in home.text
        # Every page forbids framing and scripts.
        assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
        assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
        assert client.get("/").status_code == 401


def test_instructor_page(course, notebook):
    _, client = _app(course)
    with client:
        _sign_in(client, TEACHER)
        page = client.get("/instructor")
        assert page.status_code == 200
        for words in ("waiting", "being graded", "done", "alice", "the class report", "/submissions/"):
            assert words in page.text


def test_openapi_documents_the_api(course):
    _, client = _app(course)
    with client:
        schema = client.get("/openapi.json").json()
    post = schema["paths"]["/api/submissions"]["post"]
    assert "202" in post["responses"] and "429" in post["responses"]
    form = json.dumps(schema["components"])
    assert "assignment" in form and "notebook" in form and "status_url" in form
    assert "/api/submissions/{public_id}" in schema["paths"]
    assert not any(p.startswith("/instructor") or p == "/login" for p in schema["paths"])


def test_nothing_secret_in_the_log(course, notebook, caplog):
    _, client = _app(course)
    with caplog.at_level("DEBUG"), client:
        _post(client, TOKENS["alice"], notebook)
        _post(client, "a-wrong-token-0123456789", notebook)
        _sign_in(client, TOKENS["alice"])
    text = caplog.text
    assert "received tiny attempt" in text
    for secret in (TOKENS["alice"], "a-wrong-token-0123456789"):
        assert secret not in text


# --- restart -----------------------------------------------------------------------------------------------------
def test_recovery_requeues_interrupted_and_unrecorded_attempts(template, tmp_path, notebook):
    cd = fresh(template, tmp_path)
    Store(layout.service_dir(cd)).set_token("ann", STUDENT, "ann-token-0123456789")
    service = Service(cd, ServeSettings(), grade=False)
    with TestClient(create_app(service)) as client:
        ids = [_post(client, "ann-token-0123456789", notebook).json()["id"] for _ in range(2)]
    # One was being graded when the service was killed...
    being_graded = service.store.next_attempt({TINY})
    assert being_graded is not None and being_graded.state == GRADING
    # ... one arrived on disk and the service died before it was queued; one was half written.
    meta = {"student": "ann", "assignment": TINY, "number": 3, "submitted_at": time.time(), "size": len(notebook),
            "sha256": "", "via": "api"}
    layout.write_attempt(cd, "ann", TINY, 3, TINY, notebook, meta)
    half = layout.attempts_dir(cd, "ann", TINY) / f"{layout.INCOMING}dead"
    half.mkdir()
    (half / "tiny.ipynb").write_bytes(notebook[:100])

    again = Service(cd, ServeSettings(), grade=False)
    found = again.recover()
    assert found["requeued"] == 1 and found["found"] == 1
    attempts = again.store.attempts("ann")
    assert [a.number for a in attempts] == [1, 2, 3] and all(a.state == QUEUED for a in attempts)
    assert {a.public_id for a in attempts} >= set(ids)
    assert not half.exists()


# --- feedback pages and the hidden-case policy -------------------------------------------------------------------
@pytest.mark.parametrize("policy, due_in, shown", [("always", 3600, True), ("after_due", 3600, False),
                                                   ("after_due", -3600, True), ("never", -3600, False)])
def test_feedback_follows_the_hidden_case_policy(template, tmp_path, notebook, policy, due_in, shown):
    import datetime

    from coursetools.grading import results

    cd = fresh(template, tmp_path)
    with cd.gradebook() as gb:
        gb.update_or_create_assignment(TINY, duedate=datetime.datetime.utcnow() + datetime.timedelta(seconds=due_in))
    Store(layout.service_dir(cd)).set_token("ann", STUDENT, "ann-token-0123456789")
    service = Service(cd, ServeSettings(hidden_messages=policy), grade=False)
    hidden = "AssertionError: double(-3) should be -6: the hidden test tiny-secret-minus-three"
    with TestClient(create_app(service)) as client:
        posted = _post(client, "ann-token-0123456789", notebook).json()
        attempt = service.store.next_attempt({TINY})
        results.save(results.GradingResult("ann", TINY, "graded", cells=[
            results.CellResult(TINY, "test_add_one", 1.0, 1.0, []),
            results.CellResult(TINY, "test_double", 0.0, 2.0, [hidden]),
            results.CellResult(TINY, "test_square", 3.0, 3.0, [])]),
            layout.results_dir(cd, "ann", TINY, attempt.number))
        service.store.finish(attempt, "graded", "", 4.0, 6.0, True)
        headers = {"Authorization": "Bearer ann-token-0123456789"}
        status = client.get(posted["status_url"], headers=headers).json()
        assert (status["status"], status["score"], status["max_score"]) == ("graded", 4.0, 6.0)
        messages = {e["grade_id"]: e["messages"] for e in status["exercises"]}
        page = client.get(status["feedback_url"], headers=headers)
        assert page.status_code == 200 and "Score: <strong>4 / 6</strong>" in page.text
        assert "attempt 1" in page.text and "grade of record" in page.text
        if shown:
            assert messages["test_double"] == [hidden] and "tiny-secret-minus-three" in page.text
        else:
            assert messages["test_double"] == ["A hidden test of this exercise failed."]
            assert "tiny-secret" not in page.text and "hidden test of this exercise failed" in page.text
        # The status page of a graded attempt leads to its feedback.
        _sign_in(client, "ann-token-0123456789")
        assert client.get(f"/submissions/{posted['id']}", follow_redirects=False).headers["location"].endswith(
            "/feedback")


def test_due_dates_set_while_serving_apply(template, tmp_path, notebook):
    import datetime

    cd = fresh(template, tmp_path)
    Store(layout.service_dir(cd)).set_token("ann", STUDENT, "ann-token-0123456789")
    service = Service(cd, ServeSettings(accept_late=False), grade=False)
    service.due.ttl = 0  # read at every look (a minute in service)
    with TestClient(create_app(service)) as client:
        on_time = _post(client, "ann-token-0123456789", notebook)
        assert on_time.status_code == 202 and not on_time.json()["late"]
        with cd.gradebook() as gb:
            gb.update_or_create_assignment(TINY, duedate=datetime.datetime.utcnow() - datetime.timedelta(hours=1))
        late = _post(client, "ann-token-0123456789", notebook)
        assert late.status_code == 403 and "due date of tiny has passed" in late.json()["detail"]
