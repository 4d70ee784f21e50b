"""The grading service for real, on loopback: ``python -m coursetools serve`` on the tiny course, sandboxed, on a
local Dask cluster of two workers.

* a flood: 40 uploads from 20 students at once, every one graded with the right score, none lost, the grade of
  record in the gradebook, and a third attempt within the hour refused;
* a real browser (headless Debian chromium through Selenium and Debian's chromedriver): sign in, upload, feedback;
* ``helpers.submit()`` from Python, waiting for its grade;
* a kill -9 while grading: the next start grades every acknowledged upload, once.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import nbformat
import pytest

from coursetools.course import settings
from coursetools.serve import layout
from coursetools.serve.store import Store
from coursetools.serve.tokens import INSTRUCTOR, STUDENT
from tests.helpers.test_handin import free_port
from tests.support.course import REFERENCE, TINY, answered, make_course, scores, venv_environment

pytestmark = pytest.mark.slow

STUDENTS = [f"s{i:02d}" for i in range(1, 21)]
OTHERS = ["browser", "helper"] + [f"r{i}" for i in range(1, 7)]
TEACHER = "instructor-token-for-the-end-to-end-test"
WRONG_DOUBLE = {**REFERENCE, "double": "def double(x):\n    return x + x if x > 0 else 0\n"}


def token(student: str) -> str:
    return f"{student}-token-0123456789abcdef"


class Live:
    """The service as a separate process (its own session, so a kill -9 reaches only it)."""

    def __init__(self, cd, port: int, log: Path):
        self.cd, self.port, self.log = cd, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "coursetools", "serve", "--root", str(self.cd.root), "--port",
                   str(self.port), "--workers", "2", "--attempts-per-hour", "2", "--no-access-log"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=settings.ROOT, env=venv_environment(), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 240
        while time.time() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                queue = httpx.get(f"{self.url}/api/queue", headers=auth(TEACHER), timeout=5).json()
                if queue["grader"] == "running":
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        raise AssertionError("the service did not start:\n" + self.log.read_text()[-3000:])

    def descendants(self) -> set[int]:
        """Process ids of the service and everything it started (Dask workers, kernels)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = set(), [self.process.pid]
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo += children.get(pid, [])
        return found

    def kill(self) -> set[int]:
        """kill -9 the service's own process; returns the processes it had started."""
        started = self.descendants()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        return started - {self.process.pid}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def post(url: str, student: str, data: bytes) -> httpx.Response:
    return httpx.post(f"{url}/api/submissions", headers=auth(token(student)), data={"assignment": TINY},
                      files={"notebook": ("tiny.ipynb", data, "application/x-ipynb+json")}, timeout=60)


def wait_done(url: str, statuses: list[tuple[str, str]], timeout: float = 400) -> list[dict]:
    """Poll each (status_url, student) until it is graded; the final answers."""
    deadline = time.time() + timeout
    done: dict[str, dict] = {}
    while time.time() < deadline and len(done) < len(statuses):
        for status_url, student in statuses:
            if status_url not in done:
                answer = httpx.get(status_url, headers=auth(token(student)), timeout=30).json()
                if answer["status"] not in ("queued", "grading"):
                    done[status_url] = answer
        time.sleep(1)
    assert len(done) == len(statuses), f"{len(statuses) - len(done)} attempts were not graded in {timeout:g} s"
    return [done[u] for u, _ in statuses]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    cd = make_course(folder / "course")
    store = Store(layout.service_dir(cd))
    for student in STUDENTS + OTHERS:
        store.set_token(student, STUDENT, token(student))
    store.set_token("instructor", INSTRUCTOR, TEACHER)
    service = Live(cd, free_port(), folder / "service.log")
    service.start()
    yield service
    service.stop()
    log = service.log.read_text()
    assert TEACHER not in log and not any(token(s) in log for s in STUDENTS + OTHERS), "a token in the log"


@pytest.fixture(scope="module")
def notebooks(live) -> dict[str, bytes]:
    return {"right": nbformat.writes(answered(live.cd, REFERENCE)).encode(),
            "wrong": nbformat.writes(answered(live.cd, WRONG_DOUBLE)).encode()}


def test_forty_uploads_from_twenty_students_at_once(live, notebooks):
    points = {hashlib.sha256(notebooks["right"]).hexdigest(): 6.0, hashlib.sha256(notebooks["wrong"]).hexdigest(): 4.0}
    uploads = [(s, notebooks[kind]) for s in STUDENTS for kind in ("wrong", "right")]
    with concurrent.futures.ThreadPoolExecutor(len(uploads)) as pool:
        answers = list(pool.map(lambda u: post(live.url, *u), uploads))
    assert [a.status_code for a in answers] == [202] * 40, [a.text for a in answers if a.status_code != 202][:3]
    # The limit is 2 an hour: a third attempt is refused, saying when the next is possible.
    third = post(live.url, STUDENTS[0], notebooks["right"])
    assert third.status_code == 429 and "next attempt is possible at" in third.json()["detail"]

    final = wait_done(live.url, [(a.json()["status_url"], s) for a, (s, _) in zip(answers, uploads)])
    assert {f["status"] for f in final} == {"graded"}
    by_student: dict[str, list[dict]] = {}
    for (student, data), f in zip(uploads, final):
        assert f["score"] == points[hashlib.sha256(data).hexdigest()], (student, f)
        assert f["max_score"] == 6.0 and f["feedback_url"]
        by_student.setdefault(student, []).append(f)
    # None lost: every upload is on disk, once; the gradebook holds the last attempt of each student.
    for student in STUDENTS:
        folders = sorted(layout.attempts_dir(live.cd, student, TINY).iterdir())
        assert [p.name for p in folders] == ["0001", "0002"]
    gradebook = scores(live.cd)
    for student, attempts in by_student.items():
        attempts = [httpx.get(f["status_url"], headers=auth(token(student)), timeout=30).json() for f in attempts]
        last = max(attempts, key=lambda f: f["attempt"])
        assert last["of_record"] and not any(f["of_record"] for f in attempts if f is not last)
        assert sum(gradebook[student].values()) == last["score"]
    feedback = httpx.get(final[0]["feedback_url"], headers=auth(token(uploads[0][0])), timeout=30)
    assert feedback.status_code == 200 and "Score:" in feedback.text


def test_a_student_in_a_real_browser(live, notebooks, tmp_path):
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    path = tmp_path / "tiny.ipynb"
    path.write_bytes(notebooks["wrong"])
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(live.url + "/")
        assert "Sign in" in driver.title
        driver.find_element(By.ID, "token").send_keys("not my token")
        driver.find_element(By.ID, "signin").click()
        # A click that submits a form does not wait for the next page: wait for what it shows, and look again
        # when the element found belonged to the page being replaced.
        wait = WebDriverWait(driver, 30, poll_frequency=0.2,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        assert wait.until(lambda d: "not valid" in d.find_element(By.CSS_SELECTOR, "[role=alert]").text)
        wait.until(lambda d: d.find_element(By.ID, "token")).send_keys(token("browser"))
        driver.find_element(By.ID, "signin").click()
        Select(wait.until(lambda d: d.find_element(By.ID, "assignment"))).select_by_value(TINY)
        driver.find_element(By.ID, "notebook").send_keys(str(path))
        driver.find_element(By.ID, "handin").click()
        WebDriverWait(driver, 120, poll_frequency=0.5).until(lambda d: d.current_url.endswith("/feedback"))
        text = wait.until(lambda d: "Score:" in (t := d.find_element(By.TAG_NAME, "body").text) and t)
        driver.save_screenshot(str(tmp_path / "feedback.png"))
        assert "Score: 4 / 6" in text and "attempt 1" in text and "grade of record" in text
        assert "double(-3) should be -6" in text  # the hidden case's message (the default policy shows it)
        driver.get(live.url + "/")
        assert "4 / 6" in driver.find_element(By.TAG_NAME, "body").text
        driver.save_screenshot(str(tmp_path / "home.png"))
    finally:
        driver.quit()


def test_helpers_submit_waits_for_the_grade(live, notebooks, tmp_path, capsys):
    from helpers import handin

    path = tmp_path / "tiny.ipynb"
    path.write_bytes(notebooks["right"])
    handin._remembered.clear()
    answer = handin.submit(notebook=str(path), server=live.url, token=token("helper"))
    assert answer["status"] == "graded" and answer["score"] == 6.0
    out = capsys.readouterr().out
    assert "Score: 6 / 6" in out and "Feedback page: http" in out


def test_a_kill_during_grading_loses_nothing(live, notebooks):
    students = [s for s in OTHERS if s.startswith("r")]
    answers = [post(live.url, s, notebooks["right"]) for s in students]
    assert all(a.status_code == 202 for a in answers)
    deadline = time.time() + 120
    while httpx.get(f"{live.url}/api/queue", headers=auth(TEACHER), timeout=10).json()["grading"] == 0:
        assert time.time() < deadline, "nothing was being graded"
        time.sleep(0.05)
    started = live.kill()
    # The service's workers and kernels do not outlive it.
    deadline = time.time() + 60
    while started & {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}:
        assert time.time() < deadline, "processes of the killed service are still running"
        time.sleep(0.5)
    # Every acknowledged upload is on disk.
    for student in students:
        assert (layout.attempt_dir(live.cd, student, TINY, 1) / "tiny.ipynb").read_bytes() == notebooks["right"]
    live.start()
    final = wait_done(live.url, [(a.json()["status_url"], s) for a, s in zip(answers, students)])
    assert [f["status"] for f in final] == ["graded"] * len(students)
    assert all(f["score"] == 6.0 and f["of_record"] for f in final)
    gradebook = scores(live.cd)
    assert all(sum(gradebook[s].values()) == 6.0 for s in students)
    for student in students:  # each graded once: one attempt, one row
        assert len(Store(layout.service_dir(live.cd)).attempts(student)) == 1
