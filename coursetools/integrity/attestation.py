"""The grader's service to one sandboxed kernel: the hidden cases judged outside, and the reference calls answered.

One :class:`AttestationServer` per sandboxed kernel, in the grader's process, on a Unix socket bound into the
sandbox. It knows from the grader's own side of the kernel connection which cell is executing, and answers only
while a hidden-test cell of the assignment's record runs:

* ``judge``: ``check.matches_reference(student, ref.f, cases)`` sends the student's result (as plain data) for
  each case; the grader compares it with the recorded reference result itself and answers pass or fail with the
  usual message. The expected values never enter the kernel, so student code cannot read them from the stack, and
  a failed case stays failed (probing with a wrong answer burns the case).
* ``call``: a direct call ``ref.g(x)`` made by a hidden test gets the recorded result. For the exercise under test,
  a recorded result is served only as many times as the hidden test made that call, so a student function that
  asks for it too makes the test's own call fail; other functions (tools of the test, graded earlier) are served as
  often as asked, and calls whose inputs depend on the student's results (``ref.predict(student_parameters, X)``)
  are computed live, outside the sandbox, for the functions the hidden test of that cell calls, never for the
  exercise under test. The graded functions a test cell names in ``check.exercise(..., uses=[...])`` are, for that
  cell, reference functions the student's code calls: they too are computed live (never the exercise under test).

The server is given the record of the one assignment being graded: it never looks up, records or runs anything
for another assignment.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from helpers.checks._compare import verdict
from helpers.checks._errors import CheckFailed
from helpers.checks._protocol import STOPPED, receive_message, send_message, unwire, wire

from .record import Record

MAX_REQUESTS = 200_000
MAX_LIVE_SECONDS = 300.0


class _ThreadFilter:
    """A stand-in for ``sys.stdout`` or ``sys.stderr`` that drops what the muted threads write, and passes the rest."""

    def __init__(self, stream, muted: threading.local):
        self._stream, self._muted = stream, muted

    def write(self, text: str) -> int:
        if getattr(self._muted, "on", False):
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


_quiet_lock = threading.Lock()
_quiet_users = 0
_muted = threading.local()
_streams: tuple = ()


@contextlib.contextmanager
def _quiet_thread():
    """What this thread prints goes nowhere, while the grading process's other threads (the other workers' services,
    the progress display) print as before. ``contextlib.redirect_stdout`` would silence them all, and two threads
    restoring in the wrong order would leave the process's output in a buffer for good."""
    global _quiet_users, _streams
    with _quiet_lock:
        if _quiet_users == 0:
            _streams = (sys.stdout, sys.stderr)
            sys.stdout, sys.stderr = _ThreadFilter(sys.stdout, _muted), _ThreadFilter(sys.stderr, _muted)
        _quiet_users += 1
    _muted.on = True
    try:
        yield
    finally:
        _muted.on = False
        with _quiet_lock:
            _quiet_users -= 1
            if _quiet_users == 0:
                sys.stdout, sys.stderr = _streams


class AttestationServer:
    """Serves one sandboxed kernel's requests for the reference solutions, and keeps the verdicts.

    ``current_code`` returns the source of the cell the grader is executing (from the grader's own side of the
    kernel connection); requests are answered only while a hidden-test cell of the record runs.
    """

    def __init__(self, record: Record | None, path: Path, uid: int | None = None,
                 current_code: Callable[[], str | None] = lambda: None):
        self.record = record
        self.path = Path(path)
        self.uid = uid
        self.current_code = current_code
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()
        self.requests = 0
        self.live_seconds = 0.0
        self.assignment = record.assignment if record is not None else None
        self.verdicts: dict[str, dict[str, list[bool]]] = {}   # grade_id -> key -> [passed, ...]
        self.served: dict[str, dict[str, int]] = {}            # grade_id -> call key -> times served
        self.live: dict[str, int] = {}                         # grade_id -> live calls
        self.refused: list[dict] = []
        self.tampering: set[str] = set()
        self.errors: list[str] = []
        self.cpu_seconds: float | None = None  # the serving thread's CPU time, once it has ended

    # -- life cycle -----------------------------------------------------------------------------------------------
    def bind(self, record: Record | None) -> None:
        """Serve the hidden tests of ``record``'s assignment from now on (a kernel started ahead gets its job)."""
        with self._lock:
            self.record = record
            self.assignment = record.assignment if record is not None else None

    def start(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        if self.uid is not None:
            os.chown(self.path, self.uid, self.uid)
        os.chmod(self.path, 0o600)
        sock.listen(4)
        sock.settimeout(0.5)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name=f"attestation {self.path.parent.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            # Wake the thread blocked in accept() with a connection of our own (an empty request it skips), instead
            # of waiting out its 0.5 s timeout on every submission's critical path.
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as wake:
                    wake.settimeout(1)
                    wake.connect(str(self.path))
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _serve(self) -> None:
        try:
            self._answer_requests()
        finally:
            self.cpu_seconds = time.thread_time()  # this thread's own, from its start: the service's cost

    def _answer_requests(self) -> None:
        sock = self._sock
        assert sock is not None, "start() binds the socket first"
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(60)
                try:
                    message = receive_message(conn)
                    if message is None:
                        continue
                    send_message(conn, self.handle(message))
                except Exception as error:  # noqa: BLE001 - a hostile or broken client: answer nothing, go on
                    self.errors.append(f"{type(error).__name__}: {error}"[:300])

    # -- requests ---------------------------------------------------------------------------------------------------
    def _refuse(self, cell: str | None, message: dict, reason: str) -> dict:
        with self._lock:
            if len(self.refused) < 200:
                self.refused.append({"cell": cell, "op": message.get("op"), "function": str(message.get("function"))[:100],
                                     "reason": reason})
        return {"status": "refused", "message": reason}

    def handle(self, message: dict) -> dict:
        """One request from the kernel (also callable directly, in tests)."""
        with self._lock:
            self.requests += 1
            if self.requests > MAX_REQUESTS:
                return {"status": "refused", "message": "too many requests"}
            tampering = message.get("tampering")
            if isinstance(tampering, list):
                self.tampering.update(str(t)[:100] for t in tampering[:50])
        op, function, key = message.get("op"), message.get("function"), message.get("key")
        assignment = message.get("assignment")
        if not isinstance(assignment, str) or not isinstance(function, str) or not isinstance(key, str):
            return self._refuse(None, message, "malformed request")
        rec = self.record
        if rec is None:
            return self._refuse(None, message, "this assignment's hidden tests do not use the reference solutions")
        if assignment != self.assignment:
            return self._refuse(None, message, f"this notebook is graded as {self.assignment}")
        cell = rec.cell_for_code(self.current_code())
        if cell is None:
            return self._refuse(None, message, "the reference solutions answer only the hidden tests")
        cell_record = rec.cells[cell]
        if op == "stopped":
            # The cell stopped on a failure after its hidden cases began: one more failed case (a kernel can only
            # lower its own points by saying so; see helpers.checks._isolation.stopped).
            with self._lock:
                self.verdicts.setdefault(cell, {})[STOPPED] = [False]
            return {"status": "noted"}
        if op == "judge":
            case = cell_record.judge.get(key)
            if case is None:
                return self._refuse(cell, message, "these are not the inputs of a hidden case of this test")
            got = unwire(message.get("got"))
            after_args = unwire(message.get("after_args"))
            after_kwargs = unwire(message.get("after_kwargs"))
            args, kwargs = unwire(case["args"]), unwire(case["kwargs"])
            expected = unwire(case["expected"])
            if not isinstance(after_args, tuple):
                after_args = ()
            if not isinstance(after_kwargs, dict):
                after_kwargs = {}
            try:
                mistakes = [(str(d), unwire(w)) for d, w in case.get("mistakes") or ()]
                verdict(got, after_args, after_kwargs, args, kwargs, expected, case["name"], case["where"],
                        case["rtol"], case["atol"], mistakes)
                passed, text = True, ""
            except CheckFailed as failure:
                passed, text = False, str(failure)
            except Exception as error:  # noqa: BLE001 - whatever the data, a verdict
                passed, text = False, f"\n{case['where']}: could not be compared ({type(error).__name__}).\n"
            with self._lock:
                history = self.verdicts.setdefault(cell, {}).setdefault(key, [])
                history.append(passed)
                final = all(history)
            if final:
                return {"status": "pass"}
            return {"status": "fail", "message": text.strip() if not passed else
                    f"{case['where']} already failed once in this run; a hidden case cannot be retried."}
        if op == "call":
            call = cell_record.calls.get(key)
            if call is not None:
                with self._lock:
                    served = self.served.setdefault(cell, {})
                    if function in cell_record.subjects and served.get(key, 0) >= call["count"]:
                        return self._refuse(cell, message, f"{function}: this reference result was already used by "
                                                           "the hidden test (asked again: by your code?)")
                    served[key] = served.get(key, 0) + 1
                return {"status": "value", "value": call["value"]}
            if function in cell_record.subjects or (function not in cell_record.called
                                                    and function not in cell_record.uses):
                return self._refuse(cell, message, f"{function} is not available in this test")
            return self._live(cell, function, message)
        return self._refuse(cell, message, "unknown request")

    def _live(self, cell: str, function: str, message: dict) -> dict:
        """A reference call with inputs that depend on the student's results: computed here, outside the sandbox."""
        from helpers.checks import call
        from helpers.reference import solutions

        if self.live_seconds > MAX_LIVE_SECONDS:
            return self._refuse(cell, message, "the time for reference computations is used up")
        args, kwargs = unwire(message.get("args")), unwire(message.get("kwargs"))
        if not isinstance(args, tuple) or not isinstance(kwargs, dict) or any(not isinstance(k, str) for k in kwargs):
            return self._refuse(cell, message, "malformed inputs")
        start = time.thread_time()  # this thread's: the grading process runs other workers' threads too
        try:
            target = getattr(solutions(str(self.assignment)), function)
            with _quiet_thread():
                value = call(target, *args, **kwargs)
            result = {"status": "value", "value": wire(value)}
        except Exception as error:  # noqa: BLE001 - the reference rejected the inputs: say so, like a call would
            result = {"status": "refused", "message": f"{function} raised {type(error).__name__}: {error}"[:500]}
        with self._lock:
            self.live_seconds += time.thread_time() - start
            self.live[cell] = self.live.get(cell, 0) + 1
        return result

    # -- afterwards -----------------------------------------------------------------------------------------------
    def report(self) -> dict:
        with self._lock:
            return {
                "assignment": self.assignment,
                "requests": self.requests,
                "verdicts": {cell: {k: list(v) for k, v in keys.items()} for cell, keys in self.verdicts.items()},
                "served": {cell: dict(keys) for cell, keys in self.served.items()},
                "live": dict(self.live),
                "refused": list(self.refused),
                "tampering": sorted(self.tampering),
                "errors": list(self.errors[:20]),
            }
