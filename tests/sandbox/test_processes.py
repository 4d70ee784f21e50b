"""A process's descendants from /proc: the same as psutil's, read from fewer processes."""

import os
import subprocess
import sys

import psutil
import pytest

from coursetools.sandbox import processes


@pytest.fixture
def tree():
    """A child that starts two grandchildren, all sleeping."""
    code = "import subprocess, sys, time; [subprocess.Popen(['sleep', '60']) for _ in range(2)]; print(flush=True); " \
           "time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    child.stdout.readline()
    yield child
    for p in psutil.Process(child.pid).children(recursive=True):
        p.kill()
    child.kill()
    child.wait()


def test_descendants_are_psutils_children_parents_first(tree):
    grandchildren = {p.pid for p in psutil.Process(tree.pid).children(recursive=True)}
    assert len(grandchildren) == 2 and set(processes.descendants(tree.pid)) == grandchildren
    # From this process (which may have other children, ending or not): the child before its children.
    found = processes.descendants(os.getpid())
    assert found.index(tree.pid) < min(found.index(pid) for pid in grandchildren)
    assert processes.name(tree.pid).startswith("python")


def test_every_process_is_read_when_ids_may_have_wrapped(tree, monkeypatch):
    fast = processes.descendants(tree.pid)
    monkeypatch.setattr(processes, "_ids_wrapped_since", lambda pid: True)
    assert processes.descendants(tree.pid) == fast and len(fast) == 2


def test_an_ended_process_has_no_name_and_no_descendants():
    child = subprocess.Popen(["true"])
    child.wait()
    assert processes.name(child.pid) is None and processes.descendants(child.pid) == []
