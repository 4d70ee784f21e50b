"""Fast tests of grading's parts: results files, reading submissions, failure messages, hashes, the gradebook
snapshot (no notebook is executed here)."""

from __future__ import annotations

import json

import nbformat
import pytest

from coursetools.grading import results
from coursetools.grading.batch import content_hash, last_without_spares, submission_files
from coursetools.grading.job import Job, JobResult, NotebookOutcome
from coursetools.grading.results import CellResult, GradingResult, cell_messages
from coursetools.grading.snapshot import SnapshotGradebook, snapshot_notebook
from coursetools.grading.worker import read_submission

A = "01_numpy_basics"


def test_results_round_trip_and_atomic_save(tmp_path):
    result = GradingResult("s", "a", results.TIMED_OUT, "cell x ran too long", "h1", "h2",
                           [CellResult("a", "test_x", 0.0, 2.0, ["NotRun: not run"]), CellResult("a", "test_y", 1, 1)])
    results.save(result, tmp_path / "dir")
    loaded = results.load(tmp_path / "dir")
    assert loaded == result and loaded.score == 1 and loaded.max_score == 3 and loaded.label == "timed out"
    (tmp_path / "dir" / results.GRADING_FILE).chmod(0o444)
    results.save(result, tmp_path / "dir")  # replaced even when read-only (nbgrader makes files read-only)
    assert results.load(tmp_path / "nothing") is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / results.GRADING_FILE).write_text("{not json")
    assert results.load(tmp_path / "bad") is None


def test_worst_status():
    assert results.worst([]) == results.GRADED
    assert results.worst([results.GRADED, results.MISSING]) == results.MISSING
    assert results.worst([results.INVALID, results.KERNEL_DIED, results.TIMED_OUT]) == results.KERNEL_DIED
    job = JobResult("s", "a", [NotebookOutcome("n1", results.GRADED), NotebookOutcome("n2", results.INVALID, "bad")])
    assert job.status == results.INVALID and job.reason == "n2.ipynb: bad"


@pytest.mark.parametrize("data, reason", [
    (b'{"cells": [', "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"hello": "world"}', "not a Jupyter notebook"),
])
def test_reading_broken_submissions(data, reason):
    with pytest.raises(ValueError, match=reason):
        read_submission(data)


def test_reading_a_notebook():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    assert read_submission(nbformat.writes(notebook).encode()).cells[0].source == "1"


def test_reading_repairs_cell_ids_quietly_and_leaves_other_warnings_alone():
    """Copied cells (one id twice) and a cell without an id: repaired without a word; other warnings still shown."""
    import warnings

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("2"),
                                               nbformat.v4.new_code_cell("3")])
    data = json.loads(nbformat.writes(notebook))
    data["cells"][1]["id"] = data["cells"][0]["id"]
    del data["cells"][2]["id"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = read_submission(json.dumps(data).encode())
        warnings.warn("the instructor's own warning", UserWarning, stacklevel=1)
    assert len({cell.id for cell in read.cells}) == 3
    assert [str(w.message) for w in caught] == ["the instructor's own warning"]


def test_messages_are_error_name_and_value_never_tracebacks():
    cell = nbformat.v4.new_code_cell("### hidden test source\nassert secret == 1", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="fine\n"),
        nbformat.v4.new_output("error", ename="CheckFailed", evalue="\nsigmoid(0) should be 0.5, got 1\n",
                               traceback=["\x1b[0;31mTraceback\x1b[0m", "assert secret == 1  # hidden"]),
        nbformat.v4.new_output("stream", name="stderr", text="\x1b[31mUserWarning: careful\x1b[0m"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=["hidden line"]),
    ])
    messages = cell_messages(cell)
    assert messages == ["CheckFailed: \nsigmoid(0) should be 0.5, got 1", "printed to stderr: UserWarning: careful",
                        "AssertionError"]
    assert not any("secret" in m or "Traceback" in m for m in messages)
    long = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("error", ename="E", evalue="x" * 5000,
                                                                            traceback=[])])
    assert len(cell_messages(long)[0]) < 2100


def test_content_hash_follows_content_and_ignores_checkpoints(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "a.ipynb").write_text("1")
    ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    first = content_hash(submission_files(folder, ignore))
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("old")
    assert content_hash(submission_files(folder, ignore)) == first
    (folder / "a.ipynb").write_text("2")
    assert content_hash(submission_files(folder, ignore)) != first
    assert content_hash({}) == content_hash(submission_files(tmp_path / "missing", ignore))


def test_snapshot_gradebook_answers_like_the_gradebook(filled_course):
    from nbgrader.api import MissingEntry

    with filled_course.gradebook() as gb:
        notebook = gb.find_notebook("hw", "hw")
        snap = SnapshotGradebook({"hw": snapshot_notebook(notebook)})
        assert [c.name for c in snap.find_notebook("hw", "hw").source_cells] == [c.name for c in notebook.source_cells]
        real, mine = gb.find_source_cell("test_g", "hw", "hw"), snap.find_source_cell("test_g", "hw", "hw")
        assert (mine.source, mine.checksum, mine.locked, mine.cell_type) == (
            real.source, real.checksum, real.locked, real.cell_type)
        assert snap.find_graded_cell("test_f", "hw", "hw").max_score == gb.find_graded_cell("test_f", "hw", "hw").max_score
    with pytest.raises(MissingEntry):
        snap.find_source_cell("nope", "hw", "hw")
    json.dumps(snapshot_notebook(notebook))  # plain data: travels to any worker


def test_the_last_jobs_of_a_batch_start_no_spare_kernel():
    """A worker starts the kernel of its next submission while it grades one; after the batch's last ones (one per
    worker) none comes, so they start none. The jobs come through unchanged and in order."""
    items = [(Job(f"s{i}", "a1", {"a1": b"{}"}, {}), f"digest-{i}") for i in range(5)]
    out = list(last_without_spares(iter(items), workers=2))
    assert out == items
    assert [job.prewarm for job, _ in out] == [True, True, True, False, False]
    few = [(Job("only", "a1", {}, {}), "d")]
    assert [job.prewarm for job, _ in last_without_spares(iter(few), workers=2)] == [False]
    assert list(last_without_spares(iter([]), workers=2)) == []
