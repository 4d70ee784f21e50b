"""The grader compiles the helpers once, so that kernels which see them read-only do not compile them again."""

from __future__ import annotations

import importlib.util
import os

from coursetools.sandbox.bytecode import compile_helpers


def _cached(path) -> str:
    return importlib.util.cache_from_source(str(path))


def test_compiles_the_helpers_but_not_the_reference_solutions(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "reference").mkdir()
    for relative in ("__init__.py", "checks/__init__.py", "checks/shapes.py", "reference/__init__.py"):
        (tmp_path / relative).write_text("VALUE = 1\n", encoding="utf-8")

    assert compile_helpers(tmp_path, tmp_path / "reference")

    for relative in ("__init__.py", "checks/__init__.py", "checks/shapes.py"):
        assert os.path.isfile(_cached(tmp_path / relative)), relative
    assert not os.path.exists(_cached(tmp_path / "reference/__init__.py"))


def test_up_to_date_bytecode_is_left_alone_and_an_edited_file_is_compiled_again(tmp_path):
    source = tmp_path / "shapes.py"
    source.write_text("VALUE = 1\n", encoding="utf-8")
    compile_helpers(tmp_path, tmp_path / "reference")
    written = os.stat(_cached(source)).st_mtime_ns

    compile_helpers.cache_clear()
    compile_helpers(tmp_path, tmp_path / "reference")
    assert os.stat(_cached(source)).st_mtime_ns == written

    source.write_text("VALUE = 2  # edited\n", encoding="utf-8")
    later = os.stat(source).st_mtime + 5  # compileall compares whole seconds: an edit in the same one goes unseen
    os.utime(source, (later, later))
    compile_helpers.cache_clear()
    compile_helpers(tmp_path, tmp_path / "reference")
    assert os.stat(_cached(source)).st_mtime_ns != written


def test_a_file_that_does_not_compile_is_reported_not_raised(tmp_path):
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    assert compile_helpers(tmp_path, tmp_path / "reference") is False
