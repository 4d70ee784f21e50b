"""Benchmark: the grading service's time from upload to feedback, one student alone and 40 uploads at once.

Starts ``python -m coursetools serve`` (sandboxed, a local cluster of ``--workers`` workers) on a scratch course
with one assignment released (01_numpy_basics by default), then, in the same run:

* **alone** (the peer): one student hands in the reference solution, ``--alone`` times one after the other;
* **the batch** (the other peer): ``coursetools autograde`` of the same 40 notebooks, put in ``submitted/`` of a
  copy of the course, on as many workers (the whole command, its cluster's start included);
* **at once**, ``--rounds`` times: 20 students hand in 2 notebooks each at the same moment (40 uploads: correct
  alternatives and wrong variants from the grading corpus, the reference, the untouched release, a notebook
  without its test cells, one whose kernel dies), each then polling its own status.

For each, the time from sending the upload to its status saying it is graded (the feedback page is there then):
median, 90th percentile and worst, and the load's median as a ratio of the alone median; every upload must end
graded with the status the sample class expects (none lost). For each round, the time until all 40 were graded
against the batch's time for the same 40, and how busy the workers were. The machine's load average is printed before and
after each part: the machine is shared, and the figures move with it.

    ./run python bench/serve.py [--assignment 01_numpy_basics] [--rounds 2] [--alone 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402

from coursetools import samples  # noqa: E402
from coursetools.commands import release  # noqa: E402
from coursetools.course import settings  # noqa: E402
from coursetools.course.coursedir import CourseDir  # noqa: E402
from coursetools.serve import layout  # noqa: E402
from coursetools.serve.store import Store  # noqa: E402
from coursetools.serve.tokens import INSTRUCTOR, STUDENT  # noqa: E402

TEACHER = "bench-instructor-token-0123456789"
#: How often each uploader asks for its status (the status page refreshes every 2 s, helpers.submit every 1-5 s);
#: the figures are upper bounds by at most this much.
POLL = 0.5


def token(student: str) -> str:
    return f"{student}-bench-token-0123456789"


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hand_in(url: str, assignment: str, student: str, data: bytes, timeout: float = 900) -> tuple[float, dict]:
    """Upload, then poll until graded: (seconds from sending the upload to the graded status, final status)."""
    headers = {"Authorization": f"Bearer {token(student)}"}
    start = time.perf_counter()
    answer = httpx.post(f"{url}/api/submissions", headers=headers, data={"assignment": assignment},
                        files={"notebook": (f"{assignment}.ipynb", data)}, timeout=120)
    if answer.status_code != 202:
        raise SystemExit(f"upload refused ({answer.status_code}): {answer.text}")
    status = answer.json()
    while status["status"] in ("queued", "grading"):
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"{student}: not graded after {timeout:g} s")
        time.sleep(POLL)
        status = httpx.get(status["status_url"], headers=headers, timeout=60).json()
    return time.perf_counter() - start, status


def worker_seconds(cd: CourseDir, assignment: str, attempts: list[tuple[str, int]]) -> list[float]:
    """Worker time of these (student, attempt number)s: grading.json's ``seconds`` (sanitize, run, review)."""
    from coursetools.grading import results

    found = []
    for student, number in attempts:
        result = results.load(layout.results_dir(cd, student, assignment, number))
        if result is not None and result.seconds:
            found.append(result.seconds)
    return found


def describe(label: str, seconds: list[float], peer: float | None = None) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    ratio = f"; median {median / peer:.1f}x alone" if peer else ""
    return (f"{label:<26} n={len(ordered):>3}  median {median:6.2f} s  p90 {p90:6.2f} s  worst {ordered[-1]:6.2f} s"
            f"  best {ordered[0]:5.2f} s{ratio}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=settings.load().assignments[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of 40 uploads at once")
    parser.add_argument("--alone", type=int, default=3, help="uploads of one student alone, one after the other")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the course in this folder and keep it")
    args = parser.parse_args(argv)
    assignment = args.assignment

    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-serve-"))
    if scratch.exists():
        shutil.rmtree(scratch)
    cd = CourseDir.open(scratch / "course")
    release.release([assignment], cd, verify=False)
    subs = [s for s in samples.bench_class(cd, assignment, 44) if s.expect != "invalid"][:40]
    students = [f"s{i:02d}" for i in range(1, 21)]
    uploads = [(students[i % 20], sub) for i, sub in enumerate(subs)]
    reference = subs[0].content
    store = Store(layout.service_dir(cd))
    for student in [*students, "alone"]:
        store.set_token(student, STUDENT, token(student))
    store.set_token("instructor", INSTRUCTOR, TEACHER)
    store.close()
    batch_cd = CourseDir.open(scratch / "batch")
    shutil.copytree(cd.root, batch_cd.root, ignore=shutil.ignore_patterns(layout.SERVICE_DIR))
    batch_cd = CourseDir.open(batch_cd.root)
    for i, (_, sub) in enumerate(uploads):
        samples.write(batch_cd, assignment, [samples.Submission(f"b{i:02d}", sub.content, sub.note, sub.expect)])

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = scratch / "service.log"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    per_hour = str(2 * args.rounds + args.alone + 5)
    print(f"machine: {os.cpu_count()} cores, load average {load()}; {assignment}, {args.workers} workers, sandboxed")
    started = time.perf_counter()
    with open(log, "wb") as out:
        service = subprocess.Popen(
            [sys.executable, "-m", "coursetools", "serve", "--root", str(cd.root), "--port", str(port),
             "--workers", str(args.workers), "--attempts-per-hour", per_hour, "--attempts-per-day", per_hour,
             "--no-access-log"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            if service.poll() is not None:
                raise SystemExit("the service stopped:\n" + log.read_text()[-3000:])
            try:
                queue = httpx.get(f"{url}/api/queue", headers={"Authorization": f"Bearer {TEACHER}"}, timeout=5)
                if queue.json().get("grader") == "running":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        print(f"service ready in {time.perf_counter() - started:.1f} s (cluster, sandbox check, kit, hidden-test "
              f"record, workers warmed)")

        print(f"alone: load average before {load()}")
        solo = [hand_in(url, assignment, "alone", reference) for _ in range(args.alone)]
        alone = [s for s, _ in solo]
        peer = statistics.median(alone)
        inside = worker_seconds(cd, assignment, [("alone", status["attempt"]) for _, status in solo])
        print(describe("one student alone", alone) + f"; worker time median {statistics.median(inside):.2f} s")

        print(f"batch: coursetools autograde of the same 40, {args.workers} workers; load average before {load()}")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "coursetools", "autograde", assignment, "--root", str(batch_cd.root),
                        "--workers", str(args.workers), "--no-progress"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        batch = time.perf_counter() - start
        print(f"{'the batch':<26} all 40 graded in {batch:.1f} s ({40 / batch:.2f} per s), its cluster's start "
              "included")

        every: list[float] = []
        ok = True
        for round_ in range(1, args.rounds + 1):
            print(f"round {round_}: 40 uploads from 20 students at once; load average before {load()}")
            start = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(len(uploads)) as pool:
                done = list(pool.map(lambda u: hand_in(url, assignment, u[0], u[1].content), uploads))
            wall = time.perf_counter() - start
            seconds = [s for s, _ in done]
            every += seconds
            wrong = [(u[0], u[1].note, status["status"]) for u, (_, status) in zip(uploads, done)
                     if status["status"] != u[1].expect]
            ok &= not wrong
            inside = worker_seconds(cd, assignment, [(u[0], status["attempt"]) for u, (_, status) in zip(uploads, done)])
            print(describe(f"40 at once, round {round_}", seconds, peer)
                  + f"; all 40 done in {wall:.1f} s ({40 / wall:.2f} per s, {wall / batch:.2f}x the batch's time)")
            print(f"{'':<26} worker time per attempt (sanitize, execute, review) median "
                  f"{statistics.median(inside):.2f} s; the workers were busy {sum(inside) / (args.workers * wall):.0%} "
                  "of the round (the rest: waiting for uploads, recording, polling)")
            for student, note, status in wrong:
                print(f"  {student} ({note}): {status}, expected otherwise")
        if args.rounds > 1:
            print(describe("40 at once, every round", every, peer))
        print(f"load average after: {load()}")
        print(f"every upload graded with its expected status: {'yes' if ok else 'NO'}")
        return 0 if ok else 1
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
