"""The blocking cell loop (coursetools.grading.blocking) against nbclient's own ``execute_cell``: the same
submissions, graded both ways in the same sandboxed kernels' set-up, give the same executed notebooks (every output,
execution count and metadata; of the timing metadata, the same keys), the same statuses and reasons.

The submissions cover every kind of message a cell can produce and every way a cell can end: streams on stdout and
stderr interleaved, rich displays, a display updated through its id, ``clear_output``, an expression's value, an
error, ``input()`` with no stdin, a message the cell sends itself on the kernel's output socket, an output flood
past the output limit, a kernel that dies, a cell interrupted at the cell limit, one that ignores the interrupt, and
a notebook past its own limit.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from coursetools.grading import batch, results, worker
from coursetools.grading import preprocessors as grading_preprocessors
from coursetools.grading.job import GradingSettings, Job
from coursetools.sandbox import Limits, SandboxSettings
from tests.support.course import REFERENCE, TINY, answered, make_course
from tests.support.outputs import merged_streams

pytestmark = pytest.mark.slow
CELL_TIMEOUT = 4

RICH = ("import sys\nfrom IPython.display import HTML, Markdown, clear_output, display\n"
        "print('before clear'); clear_output(wait=True); print('after clear')\n"
        "print('one'); print('two', file=sys.stderr); print('three')\n"
        "display(HTML('<b>bold</b>'), Markdown('*md*'))\n"
        "handle = display('first', display_id=True)\nhandle.update('second')\n"
        "sys.stdout.write('no newline'); sys.stderr.write('err no newline')\n"
        + REFERENCE["add_one"] + "add_one(41)\n")
CASES = {
    "reference": {},
    "rich": {"add_one": RICH},
    "errors": {"add_one": "def add_one(x):\n    return undefined_name\nadd_one(1)\n",
               "double": "answer = input('a number? ')\n" + REFERENCE["double"]},
    # (each piece flushed on its own: which message crosses the output limit must not depend on the machine's load)
    "flood": {"add_one": "import sys\nfor i in range(10):\n    sys.stdout.write(str(i) * 50_000 + '\\n')\n"
                         "    sys.stdout.flush()\n" + REFERENCE["add_one"],
              "double": "import sys\nfor i in range(200):\n    print('e' * 100, file=sys.stderr)\n"
                        + REFERENCE["double"]},
    "sends-its-own": {"add_one": "kernel = get_ipython().kernel\n"
                                 "kernel.session.send(kernel.iopub_socket, 'stream', {'name': 'stdout', 'text': "
                                 "'sent by the cell'}, parent=kernel.get_parent())\n" + REFERENCE["add_one"]},
    # (the pause lets the kernel's output thread send what came before: without it, whether the cell's first
    # messages arrive before the death is noticed is a race, in nbclient as here)
    "dies": {"double": "import os, time\nprint('going', flush=True)\ntime.sleep(0.5)\nos._exit(3)\n"},
    "interrupted": {"double": "import time\ntime.sleep(60)\n" + REFERENCE["double"]},
    "ignores-interrupt": {"double": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
                                    "    pass\n"},
    "notebook-limit": {name: "import time\ntime.sleep(2.5)\n" + code for name, code in REFERENCE.items()},
}
#: Where the two differ by design: a message the kernel's key did not sign stops nbclient's loop with a grader's
#: error (the submission left for a human); the blocking loop drops it, grades the rest and flags it.
UNREADABLE = {"unsigned": {"double": "kernel = get_ipython().kernel\nkernel.iopub_socket.send_multipart("
                                     "[b'x', b'<IDS|MSG>', b'bad', b'{}', b'{}', b'{}', b'{}'])\n" + REFERENCE["double"]}}
#: Signed with the kernel's key (code in the kernel holds it) but no message nbclient can handle: outputs whose
#: content is not one, and an execute reply without a status, forged for the cell. Each is dropped and counted.
_SEND = "kernel.session.send(kernel.iopub_socket, {!r}, {!r}, parent=kernel.get_parent())\n"
MALFORMED = {
    "signed-malformed": {"double": "kernel = get_ipython().kernel\n"
                                   + _SEND.format("display_data", {"data": 5, "metadata": {}})
                                   + _SEND.format("stream", {"text": "a stream without a name"})
                                   + _SEND.format("execute_result", {"data": {}, "metadata": {}, "execution_count": "x"})
                                   + _SEND.format("error", {})
                                   + REFERENCE["double"]},
    "forged-reply": {"double": "import time\nkernel = get_ipython().kernel\n"
                               "kernel.session.send(kernel.shell_stream, 'execute_reply', {}, parent=kernel.get_parent(), "
                               "ident=kernel._parent_ident['shell'])\ntime.sleep(0.3)\n" + REFERENCE["double"]},
}
#: The whole notebook's limit: the notebook-limit case's cells each stay under the cell limit, all three do not
#: (the limit falls in the middle of the third: 5 to 7.5 s).
NOTEBOOK_LIMITS = {"notebook-limit": 6.0}


def _comparable(outcome) -> dict:
    """An outcome without what differs from run to run: timestamps (their keys stay), how streams were cut."""
    cells = []
    for cell in json.loads(json.dumps(outcome.executed or {})).get("cells", []):
        timing = cell.get("metadata", {}).pop("execution", None)
        if "outputs" in cell:
            cell["outputs"] = merged_streams(cell["outputs"])
        cells.append({**cell, "timing keys": sorted(timing) if timing is not None else None})
    return {"status": outcome.status, "reason": outcome.reason, "cells": cells}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    cd = make_course(tmp_path_factory.mktemp("blocking") / "course")
    sandbox = SandboxSettings(limits=Limits(output_bytes=200_000))
    kits = {}
    for limit in {60.0, *NOTEBOOK_LIMITS.values()}:
        kits[limit], _, _ = batch.build_kit(cd, TINY, GradingSettings(sandbox=sandbox, notebook_timeout=limit),
                                            cell_timeout=CELL_TIMEOUT)
        batch.prepare(kits[limit])
    notebooks = {name: nbformat.writes(answered(cd, {**REFERENCE, **answers})).encode()
                 for name, answers in CASES.items()}
    results: dict[bool, dict[str, list[dict]]] = {True: {}, False: {}}
    try:
        for blocking in (True, False):
            grading_preprocessors.GuardedExecute.blocking = blocking
            for name, data in notebooks.items():
                kit = kits[NOTEBOOK_LIMITS.get(name, 60.0)]
                result = worker.grade(Job(name, TINY, {TINY: data}, {}, prewarm=False), kit)
                results[blocking][name] = [_comparable(o) for o in result.notebooks]
    finally:
        grading_preprocessors.GuardedExecute.blocking = True
    for name, answers in {**UNREADABLE, **MALFORMED}.items():
        data = nbformat.writes(answered(cd, {**REFERENCE, **answers})).encode()
        result = worker.grade(Job(name, TINY, {TINY: data}, {}, prewarm=False), kits[60.0])
        results[True][name] = [_comparable(o) for o in result.notebooks]
        results[True][name][0]["flags"] = {f.code: f.message for f in result.notebooks[0].review.flags}
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_the_blocking_loop_executes_as_nbclient_does(graded, case):
    ours, theirs = graded[True][case], graded[False][case]
    assert ours == theirs


def test_the_cases_reach_what_they_are_for(graded):
    """The cases are not vacuous: each ends the way it is meant to (in both loops, by the test above)."""
    def outcome(case):
        return graded[True][case][0]

    def texts(case):  # what the cells printed and showed
        return json.dumps([cell.get("outputs") for cell in outcome(case)["cells"]])

    assert outcome("reference")["status"] == results.GRADED
    # (the inert notebook keeps a display's text only: see coursetools.grading.inert)
    assert all(k in texts("rich") for k in ("after clear", "two", "HTML object", "'second'", "no newline", '"42"'))
    assert "before clear" not in texts("rich") and "'first'" not in texts("rich")
    assert "NameError" in texts("errors") and "StdinNotImplementedError" in texts("errors")
    assert "sent by the cell" in texts("sends-its-own")
    assert "output limit" in texts("flood")
    assert outcome("dies")["status"] == results.KERNEL_DIED and "going" in texts("dies")
    assert outcome("interrupted")["status"] == results.TIMED_OUT and "was interrupted" in outcome("interrupted")["reason"]
    ran = {cell.get("id"): cell.get("execution_count") for cell in outcome("interrupted")["cells"]}
    assert ran["test_square"] is not None, "the notebook went on after the interrupted cell"
    assert outcome("ignores-interrupt")["status"] == results.TIMED_OUT
    assert "did not stop when interrupted" in outcome("ignores-interrupt")["reason"]
    assert outcome("notebook-limit")["status"] == results.TIMED_OUT
    assert "limit for a notebook and was stopped in square" in outcome("notebook-limit")["reason"]


def test_a_message_the_kernel_did_not_sign_is_dropped_and_flagged(graded):
    outcome = graded[True]["unsigned"][0]
    assert outcome["status"] == results.GRADED
    message = outcome["flags"]["unreadable_messages"]  # the graded submission's reason quotes it
    assert "1 message(s) the grader could not read" in message and "in double" in message
    failed = [c["id"] for c in outcome["cells"] if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [], "every test passed: the rest of the notebook was graded"


@pytest.mark.parametrize("case,count", [("signed-malformed", 4), ("forged-reply", 1)])
def test_a_signed_message_that_is_no_output_or_reply_is_dropped_and_flagged(graded, case, count):
    """Before, each of these stopped the notebook with a grader's error: no points at all, for a human to grade."""
    outcome = graded[True][case][0]
    assert outcome["status"] == results.GRADED
    assert f"{count} message(s) the grader could not read" in outcome["flags"]["unreadable_messages"]
    failed = [c["id"] for c in outcome["cells"] if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [], "every test passed: the rest of the notebook was graded"
