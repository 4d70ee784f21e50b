"""The checks cannot be fooled by the values they check, nor by what student code replaces in the kernel."""

from __future__ import annotations

import builtins
import collections
import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import checks as check
from helpers.checks import CheckFailed
from helpers.checks._protocol import case_key, unwire, wire
from helpers.checks._seal import tampering
from helpers.checks._snapshot import Opaque


class LyingArray(np.ndarray):
    """An ndarray subclass that claims the expected shape and equality."""

    @property
    def shape(self):
        return (3, 1)

    def __eq__(self, other):
        return np.ones(np.broadcast(self.view(np.ndarray), other).shape, bool)


class AlwaysEqual:
    shape = (3, 1)
    dtype = np.dtype(float)
    ndim = 2

    def __eq__(self, other):
        return True

    __le__ = __ge__ = __lt__ = __gt__ = __eq__

    def __ne__(self, other):
        return False

    def __array__(self, dtype=None, copy=None):
        return np.zeros((3, 1))

    def __float__(self):
        return 0.5


class FakeFloat(float):
    def __float__(self):
        return 0.5

    def __eq__(self, other):
        return True


class PretendsToBeFloat:
    @property
    def __class__(self):
        return float


def test_lying_ndarray_subclass_fails_every_check():
    liar = np.arange(5.0).view(LyingArray)
    with pytest.raises(CheckFailed, match="subclass of NumPy array"):
        check.close(liar, np.zeros((3, 1)), "x")
    with pytest.raises(CheckFailed):
        check.shape(liar, (3, 1), "x")
    with pytest.raises(CheckFailed):
        check.equal(liar, np.zeros((3, 1)), "x")
    with pytest.raises(CheckFailed):
        check.is_type(liar, np.ndarray, "x")
    with pytest.raises(CheckFailed):
        check.matches_reference(lambda x: np.asarray(x).view(LyingArray), lambda x: x, [(np.zeros((3, 1)),)])


def test_objects_that_always_compare_equal_fail():
    for expected in (np.zeros((3, 1)), 0.5, [1, 2], (1.0, 2.0), {"a": 1}, "text", 3):
        with pytest.raises(CheckFailed):
            check.equal(AlwaysEqual(), expected, "x")
    with pytest.raises(CheckFailed):
        check.close(AlwaysEqual(), np.zeros((3, 1)), "x")
    with pytest.raises(CheckFailed):
        check.close(AlwaysEqual(), 0.5, "x")
    with pytest.raises(CheckFailed):
        check.matches_reference(lambda x: {"a": AlwaysEqual()}, lambda x: {"a": x}, [(np.zeros(3),)])
    with pytest.raises(CheckFailed):
        check.matches_reference(lambda x: (AlwaysEqual(), 1), lambda x: (x, 1), [(np.zeros(3),)])
    with pytest.raises(CheckFailed):
        check.equal([AlwaysEqual(), 2], [1, 2], "x")
    with pytest.raises(CheckFailed):
        check.close(FakeFloat(0.9), 0.5, "x")
    with pytest.raises(CheckFailed):
        check.is_type(PretendsToBeFloat(), float, "x")
    with pytest.raises(CheckFailed):
        check.is_type(FakeFloat(0.5), float, "x")


def test_genuine_types_still_pass():
    check.is_type(np.float64(0.5), float, "x")       # NumPy's float64 is a float
    check.is_type(True, int, "x")
    check.is_type(collections.OrderedDict(a=1), dict, "x")
    check.is_type([1], (list, tuple), "x")
    check.close(np.float32(0.5), 0.5, "x")
    check.equal(collections.OrderedDict(a=1), {"a": 1}, "x")
    check.equal((1, "a", None), (1, "a", None), "x")
    check.equal(np.array(["a", "b"]), np.array(["a", "b"]), "x")
    check.unchanged({"w": np.ones(2)}, {"w": np.ones(2)}, "params")
    check.matches_reference(lambda x: {"a": 2 * x, "b": [x.sum()]}, lambda x: {"a": x * 2, "b": [np.sum(x)]},
                            [(np.ones(3),)])


def test_replacing_numpy_and_builtins_changes_nothing(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda a, b, *r, **k: np.ones(np.shape(a), bool))
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    real = builtins.isinstance
    monkeypatch.setattr(builtins, "isinstance", lambda obj, cls: True if cls is np.ndarray else real(obj, cls))
    with pytest.raises(CheckFailed, match="wrong entr"):
        check.close(np.ones(3), np.zeros(3), "x")
    with pytest.raises(CheckFailed):
        check.equal(np.ones(3), np.zeros(3), "x")
    with pytest.raises(CheckFailed):
        check.shape([1, 2, 3], (3,), "x")
    assert "builtins:isinstance" in tampering() and "numpy:allclose" in tampering()
    monkeypatch.undo()
    assert tampering() == []


def test_student_runs_first_and_cannot_read_the_expected_value():
    order = []

    def reference(x):
        order.append("reference")
        return x * 2

    def student(x):
        order.append("student")
        frame = sys._getframe(1)
        while frame is not None:  # the expected result is nowhere on the stack yet
            assert "expected" not in frame.f_locals
            frame = frame.f_back
        return x * 2

    check.matches_reference(student, reference, [(np.ones(2),)])
    assert order == ["student", "reference"]


@pytest.mark.parametrize("exception", [SystemExit, KeyboardInterrupt, GeneratorExit])
def test_exit_and_interrupt_from_a_student_function_fail_the_test(exception):
    def student(x):
        raise exception()

    with pytest.raises(CheckFailed, match=exception.__name__):
        check.matches_reference(student, lambda x: x, [(1.0,)])
    with pytest.raises(CheckFailed, match=exception.__name__):
        check.call(student, 1.0)


def test_wire_round_trip_and_hostile_data():
    value = {"w": np.arange(6.0).reshape(2, 3), "b": 0.5, "n": 3, "flag": True, "name": "x", "none": None,
             "pair": (np.float32(1.5), [np.int64(2)]), "labels": np.array(["a", "b"])}
    back = unwire(wire(value))
    check.equal(back["w"], value["w"], "w")
    assert back["pair"][0] == np.float32(1.5) and type(back["pair"][0]) is np.float32
    assert case_key("a", "f", (np.ones(2),), {}) == case_key("a", "f", (np.ones(2),), {})
    assert case_key("a", "f", (np.ones(2),), {}) != case_key("a", "f", (np.ones(3),), {})
    for hostile in (["ndarray", "|O8", [1], "AAAAAAAAAAA="], ["ndarray", "<f8", [10**9], ""], ["int", "9" * 10_000],
                    ["eval", "__import__('os')"], ["dict", [[["list", []], ["none"]]]], "text", None, ["tuple"] * 5):
        assert type(unwire(hostile)) is Opaque
    assert type(unwire(wire(AlwaysEqual()))) is Opaque


def test_checks_are_read_only_while_grading(tmp_path):
    code = ("from helpers import checks as check\n"
            "try:\n    check.close = lambda *a, **k: None\nexcept AttributeError as e:\n    print('refused', e)\n"
            "vars(check)['close'] = lambda *a, **k: None\nfrom helpers.checks._seal import tampering\nprint(tampering())\n")
    env = {**os.environ, "COURSE_GRADER_SOCKET": str(tmp_path / "none.sock")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "refused" in result.stdout and "checks:close" in result.stdout, result.stderr
