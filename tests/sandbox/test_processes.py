"""A process's descendants from /proc: the same as psutil's, read from fewer processes; its CPU time, exact."""

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


def test_cpu_seconds_count_every_thread_to_the_nanosecond_and_none_once_ended():
    # Two threads that each spend 0.2 CPU-s and end before the reading: their time stays the process's.
    code = ("import threading, time\n"
            "def spin():\n"
            "    t = time.thread_time()\n"
            "    while time.thread_time() - t < 0.2: pass\n"
            "threads = [threading.Thread(target=spin) for _ in range(2)]\n"
            "[t.start() for t in threads]; [t.join() for t in threads]\n"
            "print(time.process_time(), flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        own = float(child.stdout.readline())  # what the process itself reads of its CPU time
        spent = processes.cpu_seconds(child.pid)
        ticks = psutil.Process(child.pid).cpu_times()
        assert own >= 0.4 and own <= spent < own + 0.05  # it sleeps after printing: barely more than it read
        # /proc's ticks of 10 ms, truncated, are never more than the clock (and within 10 ms for each of the two).
        assert ticks.user + ticks.system <= spent + 1e-9 and spent - (ticks.user + ticks.system) < 0.05
    finally:
        child.kill()
        child.wait()
    assert processes.cpu_seconds(child.pid) is None
