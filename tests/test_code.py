"""The code keeps its house rules: ruff clean, layers that import downward only (import-linter), types at the seams.

The configuration of all three is in pyproject.toml; the layers are described in docs/architecture.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coursetools.course import settings

BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=settings.ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept():
    """commands above reporting and samples above grading above sandbox and integrity above course; no cycle;
    helpers never imports the toolkit; nothing imports the tests."""
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0 and "0 broken" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_on_the_module_seams():
    result = _run(str(BIN / "mypy"), "--no-incremental")
    assert result.returncode == 0, result.stdout + result.stderr
