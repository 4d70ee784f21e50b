"""The review of one graded notebook: the test cells that must score 0, and what a human should look at.

After a submission ran, the worker that graded it reviews it (outside the sandbox, before anything is written):

* **the grader's own verdicts** on the hidden cases (from the attestation server's report): a test cell that passed
  in the kernel but whose hidden cases the grader did not see pass (checks replaced, exceptions swallowed,
  nbgrader's error display patched, reference module faked...) is *overridden*: it scores 0;
* **flags for a human look**: tampering the kernel reported (``np.allclose``, ``builtins.isinstance`` or
  ``helpers.checks`` replaced), refused reference queries, suspicious code in the cells the student wrote
  (:mod:`.scan`), changed test cells (deleted, edited, moved, duplicated, retyped), limits hit (CPU, memory,
  processes, file size, output, time), and what the sandbox blocked (writes outside the working copy, network).

:func:`apply_overrides` writes the overrides into the executed notebook the way nbgrader reads a failed test (an
error output in the cell), so that nbgrader's own SaveAutoGrades scores them 0 when the client writes the gradebook,
once. Flags are saved next to ``grading.json`` as ``integrity.json`` (:func:`save`, :func:`load`,
:func:`flag_labels`), for the gradebook's ``needs_manual_grade``, the grades export and the class report.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from helpers.checks._protocol import STOPPED

from .record import Record, _normalized
from .scan import scan_code

INTEGRITY_FILE = "integrity.json"
#: The ename of the error output that carries an override: what the feedback shows for the cell.
OVERRIDE_ENAME = "ScoredZeroByGrader"

# Severities: "cheat" (an attempt to get points or reach what is hidden), "limit" (a resource limit stopped it),
# "review" (unusual, possibly innocent: a test cell moved or deleted, a broken notebook).
CHEAT, LIMIT, REVIEW = "cheat", "limit", "review"


@dataclass
class Flag:
    code: str
    severity: str
    message: str
    cells: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Review:
    flags: list[Flag] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)   # grade_id -> why it now scores 0
    #: grade_id -> [hidden cases passed, hidden cases] of a test cell that ran without error and passed only some,
    #: by the grader's own verdicts: the recorder scores it by the course's partial-credit policy.
    cases: dict[str, list[int]] = field(default_factory=dict)

    @property
    def needs_look(self) -> bool:
        return bool(self.flags)

    def add(self, code: str, severity: str, message: str, cells: list[str] | None = None) -> None:
        self.flags.append(Flag(code, severity, message, list(cells or [])))

    def to_dict(self) -> dict:
        return {"flags": [dataclasses.asdict(f) for f in self.flags], "overrides": dict(self.overrides),
                "cases": {g: list(c) for g, c in self.cases.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> Review:
        return cls([Flag(**f) for f in data.get("flags", [])], dict(data.get("overrides", {})),
                   {str(g): [int(c[0]), int(c[1])] for g, c in (data.get("cases") or {}).items()})

    def merge(self, other: Review) -> Review:
        return Review(self.flags + other.flags, {**self.overrides, **other.overrides}, {**self.cases, **other.cases})


def _code_cells(notebook) -> list:
    return [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


def structure_changes(submitted, source) -> dict[str, list[str]]:
    """How the submission's graded cells differ from the source: deleted, edited, retyped, duplicated, moved."""
    from nbgrader.utils import is_grade, is_locked, is_solution

    expected = [(c.metadata["nbgrader"]["grade_id"], c) for c in source.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") and (is_grade(c) or is_solution(c) or is_locked(c))]
    tests = {g: c for g, c in expected if is_grade(c) and c.cell_type == "code"}
    seen: dict[str, list] = {}
    for cell in submitted.get("cells", []):
        grade_id = _grade_id(cell)
        if grade_id:
            seen.setdefault(grade_id, []).append(cell)
    changes: dict[str, list[str]] = {"deleted": [], "edited": [], "retyped": [], "duplicated": [], "moved": []}
    for grade_id, cell in tests.items():
        copies = seen.get(grade_id, [])
        if not copies:
            changes["deleted"].append(grade_id)
            continue
        if len(copies) > 1:
            changes["duplicated"].append(grade_id)
        if any(c.get("cell_type") != cell.cell_type for c in copies):
            changes["retyped"].append(grade_id)
        elif any(_normalized(_source(c)) != _normalized(_strip_hidden(cell.source)) and
                 _normalized(_source(c)) != _normalized(cell.source) for c in copies):
            changes["edited"].append(grade_id)
    source_order = [g for g, _ in expected]
    submitted_order = [g for g in (_grade_id(c) for c in submitted.get("cells", [])) if g and g in set(source_order)]
    deduplicated = list(dict.fromkeys(submitted_order))
    if [g for g in source_order if g in set(deduplicated)] != deduplicated:
        changes["moved"] = [g for g, h in zip(deduplicated, [g for g in source_order if g in set(deduplicated)]) if g != h]
    return {k: v for k, v in changes.items() if v}


def _strip_hidden(source: str) -> str:
    """A test cell as released: without the hidden tests block."""
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


def _release_sources(release) -> set[str]:
    return {_normalized(_source(c)) for c in _code_cells(release)} if release is not None else set()


LIMIT_ERRORS = [
    (re.compile(r"^MemoryError"), "memory_limit", "the memory limit stopped an allocation"),
    (re.compile(r"BlockingIOError.*Resource temporarily unavailable|fork.*Resource temporarily unavailable|"
                r"can't start new thread"), "process_limit", "the process limit stopped new processes"),
    (re.compile(r"File too large|Errno 27"), "file_limit", "the file size limit stopped a write"),
]
BLOCKED_ERRORS = [
    (re.compile(r"Read-only file system|Permission denied|Errno 30|Errno 13"), "write_blocked",
     "the sandbox blocked a file access outside the working copy"),
    (re.compile(r"Network is unreachable|Temporary failure in name resolution|Name or service not known|"
                r"Connection refused|Errno 101|Errno -3|Errno 111"), "network_blocked",
     "the sandbox blocked a network connection"),
    (re.compile(r"FileNotFoundError.*(source|autograded|submitted|gradebook|release|\.ipynb|reference)"),
     "hidden_path", "tried to reach files the sandbox hides (hidden tests, other students, the gradebook)"),
    (re.compile(r"ReferenceUnavailable|No module named 'helpers\.reference"), "reference_blocked",
     "tried to use the reference solutions"),
]


#: The part of an error's text matched against the patterns above (student code chooses its errors' length).
MAX_ERROR_TEXT = 2000


def _error_texts(notebook) -> list[tuple[str, str]]:
    """The errors the cells raised (not warnings on stderr: libraries print those for innocent reasons)."""
    texts = []
    for cell in _code_cells(notebook):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                texts.append((_grade_id(cell) or "", f"{output.get('ename')}: {output.get('evalue')}"))
    return texts

def review(*, submitted=None, executed=None, scores: dict[str, float] | None = None, report: dict | None = None,
           status: str = "graded", reason: str = "", record: Record | None = None, source=None,
           release=None, into: Review | None = None) -> Review:
    """What a human should look at in one graded notebook, and the test cells that must score 0.

    ``submitted``: the notebook as handed in (a NotebookNode or dict; None when missing or invalid);
    ``executed``: the executed notebook (the code that ran: the review scans it, not the file as handed in);
    ``scores``: grade_id -> points the kernel's run earned; ``report``: the sandbox's report
    (:func:`coursetools.sandbox.report`); ``status``/``reason``: the toolkit's; ``record``: the record of the
    assignment's hidden tests (None: the hidden tests do not use the reference solutions); ``source``/``release``:
    the course's source and release notebooks (None: not compared); ``into``: the review to add to (what is found
    is kept there as it is found).

    Total: it never raises. Each part runs on its own; a part that fails adds an ``integrity_error`` flag and
    keeps what the other parts found, and a test cell whose hidden cases could not be verified scores 0 (a human
    grades it) instead of keeping points the grader did not check.
    """
    result = into if into is not None else Review()
    scores = scores or {}
    if status in ("missing", "invalid", "rejected"):
        result.add(status, REVIEW, reason or status)
        return result
    _part(result, "the grader's verdicts", _verdicts, result, report, record, scores)
    _part(result, "the errors of the executed notebook", _limits_and_blocks, result, executed, status, reason)
    _part(result, "the scan of the student's code", _scan, result, executed if executed is not None else submitted,
          source, release)
    if submitted is not None and source is not None:
        _part(result, "the comparison of the test cells", _structure, result, submitted, source)
    return result


def _part(result: Review, what: str, function, *args) -> None:
    """Run one part of the review; its failure (anything, a RecursionError or MemoryError included) is a flag."""
    try:
        function(*args)
    except BaseException as error:  # noqa: BLE001 - the review is total; KeyboardInterrupt is not expected here
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        result.add("integrity_error", REVIEW, f"the integrity review failed in {what}: "
                   f"{type(error).__name__}: {str(error)[:300]} (a human should look at this submission)")


def _verdicts(result: Review, report: dict | None, record: Record | None, scores: dict[str, float]) -> None:
    """1. The grader's own verdicts on the hidden cases: overrides, as they are found, into ``result``.

    If this part fails, every test cell it had not cleared scores 0: points are kept only when verified.
    """
    cleared: set[str] = set()
    try:
        _judge_verdicts(result, report, record, scores, cleared)
    except BaseException:
        unverified(result, record, scores, cleared)
        raise


def unverified(result: Review, record: Record | None, scores: dict[str, float],
               cleared: set[str] | None = None) -> list[str]:
    """Override every test cell that earned points in the kernel and whose hidden cases the grader was to check
    but did not clear (the review failed): scored 0 for a human to grade. Returns those grade_ids."""
    cells: list[str] = []
    if record is None:
        return cells
    for grade_id, cell in list(record.cells.items()):
        if (cell.consults and scores.get(grade_id) and grade_id not in result.overrides
                and grade_id not in (cleared or set())):
            result.overrides[grade_id] = "the grader could not verify its hidden cases: scored 0 until a human grades it"
            cells.append(grade_id)
    return cells


def _judge_verdicts(result: Review, report: dict | None, record: Record | None, scores: dict[str, float],
                    cleared: set[str]) -> None:
    sandbox = report if isinstance(report, dict) else {}
    attestation = sandbox.get("attestation")
    attestation = attestation if isinstance(attestation, dict) else {}
    if sandbox.get("sandboxed") and record is not None:
        verdicts = attestation.get("verdicts") or {}
        served = attestation.get("served") or {}
        live = attestation.get("live") or {}
        bypassed, silent, unconsulted, unchecked = [], [], [], []
        for grade_id, cell in record.cells.items():
            try:
                if not cell.consults or not scores.get(grade_id):
                    continue
                seen = verdicts.get(grade_id, {})
                # A cell that stopped on a failure after its hidden cases began (the kernel says so): one more
                # failed case, and the cases it did not reach failed too.
                stopped = STOPPED in seen
                passed = sum(1 for key in cell.judge if key in seen and all(seen[key]))
                total = len(cell.judge) + stopped
                judged_ok = passed == total
                consulted = bool(seen) or bool(served.get(grade_id)) or bool(live.get(grade_id))
                if not consulted:
                    silent.append(grade_id)
                    result.overrides[grade_id] = ("its hidden tests never reached the grader (the checks or the "
                                                  "reference were replaced in the kernel)")
                elif not judged_ok and ((not stopped and any(key not in seen for key in cell.judge)) or any(
                        len(seen.get(key, ())) > int(cell.judge[key].get("count", 1)) for key in cell.judge)):
                    # An honest run judges every hidden case, each as often as the test does (a case that raises
                    # is judged as failed): a clean cell with cases never judged, or judged again (probed with
                    # another answer first), passed in the kernel only.
                    bypassed.append(grade_id)
                    result.overrides[grade_id] = ("it passed in the kernel, but the grader's own check of its hidden "
                                                  "cases did not")
                elif not judged_ok:
                    # A failed hidden case does not stop the cell (it prints its message): the grader's own verdicts
                    # decide the points, by the course's partial-credit policy (grading/recorder.py).
                    result.cases[grade_id] = [passed, total]
                    cleared.add(grade_id)
                else:
                    cleared.add(grade_id)
                    if any(key not in served.get(grade_id, {}) for key in cell.calls):
                        unconsulted.append(grade_id)
            except Exception:  # noqa: BLE001 - a report the grader cannot read: the cell is not verified
                unchecked.append(grade_id)
                result.overrides[grade_id] = ("the grader could not verify its hidden cases: scored 0 until a human "
                                              "grades it")
        if silent or bypassed:
            result.add("hidden_checks_bypassed", CHEAT,
                       "test cells passed in the kernel but not the grader's own check of their hidden cases: "
                       + ", ".join(sorted(silent + bypassed)) + " (scored 0)", sorted(silent + bypassed))
        if unchecked:
            result.add("integrity_error", REVIEW, "the grader could not verify the hidden cases of "
                       + ", ".join(sorted(unchecked)) + " (scored 0 for a human to grade)", sorted(unchecked))
        if unconsulted:
            result.add("hidden_calls_missing", REVIEW, "hidden tests skipped some of their reference calls: "
                       + ", ".join(unconsulted), unconsulted)
        refused = [r for r in attestation.get("refused") or [] if isinstance(r, dict)]
        if refused:
            where = sorted({str(r.get("cell") or "a student cell") for r in refused})
            functions = sorted({str(r.get("function", "?")) for r in refused})
            result.add("reference_queried", CHEAT, f"{len(refused)} request(s) for the reference solutions refused "
                       f"({', '.join(functions)[:200]}; in {', '.join(where)[:200]})")
        tampering = [str(t) for t in attestation.get("tampering") or []]
        if tampering:
            result.add("tampering", CHEAT, "replaced in the kernel while grading: " + ", ".join(tampering)[:400])
        for event in sandbox.get("events") or []:
            try:
                text = EVENT_TEXTS.get(event, str(event)).format(**sandbox)
            except (KeyError, ValueError, IndexError):
                text = EVENT_TEXTS.get(event, str(event))
            result.add(str(event), LIMIT, text)
    # Without the sandbox (--no-sandbox) there are no verdicts: autograde says so once for the batch.


def _limits_and_blocks(result: Review, executed, status: str, reason: str) -> None:
    """2. Limits and blocked actions, from the errors in the executed notebook."""
    if executed is not None:
        texts = _error_texts(executed)
        seen_codes = {f.code for f in result.flags}
        for patterns, severity in ((LIMIT_ERRORS, LIMIT), (BLOCKED_ERRORS, CHEAT)):
            for pattern, code, message in patterns:
                cells = sorted({g or "?" for g, text in texts if pattern.search(text[:MAX_ERROR_TEXT])})
                if cells and code not in seen_codes:
                    result.add(code, severity, message, [c for c in cells if c != "?"])
                    seen_codes.add(code)
    if status in ("timed_out", "kernel_died"):
        code = "time_limit" if status == "timed_out" else "kernel_died"
        if code not in {f.code for f in result.flags}:
            result.add(code, LIMIT, reason or status)


def _scan(result: Review, notebook, source, release) -> None:
    """3. What the student wrote: the code cells that ran (the course's own cells aside), scanned one by one."""
    if notebook is None:
        return
    from nbgrader.utils import is_grade, is_locked

    known = _release_sources(release) | _release_sources(source)
    findings = []
    for index, cell in enumerate(_code_cells(notebook)):
        try:
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") and (is_grade(cell) or is_locked(cell)):
                continue  # a test or read-only cell: nbgrader put the course's source back before it ran
            text = _source(cell)
            if _normalized(text) in known:
                continue
            where = _grade_id(cell) or f"code cell {index + 1}"
            findings += [f"{where}: {finding}" for finding in scan_code(text)]
        except Exception as error:  # noqa: BLE001 - one cell the review cannot read is a finding, not a crash
            findings.append(f"code cell {index + 1}: could not be scanned ({type(error).__name__})")
    if findings:
        result.add("suspicious_code", CHEAT, "; ".join(sorted(set(findings)))[:1500])


def _structure(result: Review, submitted, source) -> None:
    """4. What the student did to the test cells."""
    changes = structure_changes(submitted, source)
    if changes:
        result.add("test_cells_changed", REVIEW, "; ".join(f"{k}: {', '.join(v)}" for k, v in changes.items()),
                   sorted({g for v in changes.values() for g in v}))


#: Flags that say what the grader did to a submission it graded anyway: a graded submission's reason quotes them.
NOTICE_CODES = ("special_files", "grader_metadata_changed", "skip_execution", "text_repaired", "active_content",
                "bad_timestamp", "integrity_error", "unreadable_messages")


def notice(review_: Review) -> str:
    """The reason of a submission that was graded but not quite as handed in, or is flagged ("" when neither)."""
    notes = [f.message for f in review_.flags if f.code in NOTICE_CODES]
    if notes:
        return "; ".join(dict.fromkeys(notes))[:1000]
    if review_.flags:
        return "graded; flagged for a look: " + ", ".join(dict.fromkeys(f.code for f in review_.flags))
    return ""


EVENT_TEXTS = {
    "cpu_limit": "the CPU time limit stopped the kernel",
    "killed": "the kernel was killed inside the sandbox (CPU hard limit or out of memory)",
    "file_limit": "the file size limit stopped the kernel",
    "output_limit": "the output limit was reached ({output_bytes:,} bytes printed; the rest was discarded)",
    "crashed": "the kernel crashed",
    "killed_by_grader": "the grader stopped the kernel (time limit)",
}


def drop_kernel_results(executed, into: Review) -> None:
    """While the grader has its own verdicts (a sandboxed run), no number the kernel shows in a test cell scores.

    nbgrader reads the first numeric ``execute_result`` of a test cell as its points, ahead of any error after it,
    and student code can make one: a function the test calls runs ``sys.displayhook(2.0)``. Under the sandbox the
    test cells show no result of their own (``check.score()`` gives nothing there), so each one found was made by
    code in the kernel: it becomes a plain display (the feedback still shows it) and is flagged. The points are then
    the grader's: full without an error, in part by its verdicts (:func:`apply_partial_credit`), 0 with an error.
    """
    import nbformat
    from nbgrader.utils import is_grade, is_solution

    faked = []
    for cell in _code_cells(executed):
        if not is_grade(cell) or is_solution(cell):
            continue
        outputs = cell.get("outputs", [])
        if any(o.get("output_type") == "execute_result" for o in outputs):
            cell["outputs"] = [nbformat.v4.new_output("display_data", data=o.get("data", {}),
                                                      metadata=o.get("metadata", {}))
                               if o.get("output_type") == "execute_result" else o for o in outputs]
            faked.append(_grade_id(cell) or "?")
    if faked:
        into.add("kernel_result", CHEAT, "code in the kernel showed a result in test cells, which nbgrader would "
                 "have read as their points: " + ", ".join(sorted(faked)) + " (ignored: the grader's points count)",
                 sorted(faked))


def apply_overrides(review_: Review, executed) -> None:
    """Write the review's overrides into the executed notebook as nbgrader reads a failed test: an error output.

    nbgrader's SaveAutoGrades then scores those cells 0 when the gradebook is written (once, by the client), and
    the feedback shows the reason like any failure message.
    """
    import nbformat

    for cell in _code_cells(executed):
        why = review_.overrides.get(_grade_id(cell) or "")
        if why:
            text = f"scored 0 by the grader: {why}"
            cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                "error", ename=OVERRIDE_ENAME, evalue=text, traceback=[f"{OVERRIDE_ENAME}: {text}"]))


def apply_partial_credit(review_: Review, executed, policy) -> None:
    """Score the test cells the grader verified in part (``review_.cases``) by ``policy``
    (:class:`helpers.reference.policy.PartialCredit`), as nbgrader reads partial credit: a numeric result first.

    In every test cell the grader verified, a numeric result the kernel printed is dropped first: the points are
    the grader's, never a number student code can print. A cell with an error keeps it (nbgrader scores it 0).
    """
    import nbformat

    for cell in _code_cells(executed):
        grade_id = _grade_id(cell) or ""
        if grade_id not in review_.cases or grade_id in review_.overrides:
            continue
        outputs = cell.get("outputs", [])
        if any(o.get("output_type") == "error" for o in outputs):
            continue
        passed, total = review_.cases[grade_id]
        max_points = float(cell["metadata"]["nbgrader"].get("points", 0))
        points = policy.points(grade_id, max_points, passed, total)
        kept = [o for o in outputs if o.get("output_type") != "execute_result"]
        verdict = nbformat.v4.new_output("execute_result", data={"text/plain": repr(points)}, execution_count=None)
        cell["outputs"] = [verdict, *kept]


def partial_text(review_: Review, grade_id: str, points: float, max_points: float) -> str:
    """What feedback says of a test cell that passed some hidden cases: "4 of 6 cases passed: 1.33 / 2"."""
    passed, total = review_.cases.get(grade_id, (0, 0))
    if not total:
        return ""
    return f"{passed} of {total} cases passed: {points:g} / {max_points:g}"


def save(review_: Review, autograded_dir: Path) -> Path:
    path = Path(autograded_dir) / INTEGRITY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(review_.to_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load(autograded_dir: Path) -> Review:
    """The saved review of one submission (an empty one if none was saved)."""
    try:
        return Review.from_dict(json.loads((Path(autograded_dir) / INTEGRITY_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return Review()


def flag_labels(autograded_dir: Path) -> list[str]:
    """One short line per flag of a submission, for the grades CSV and the class report ("" list: nothing to see)."""
    return [f.label() for f in load(autograded_dir).flags]
