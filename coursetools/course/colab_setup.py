"""The set-up cell that opens every release notebook: it gets the course helpers and says what it did.

The cell's code is the function :func:`course_setup` below, copied verbatim into the notebook by
:func:`cell_source` and followed by one call that carries the course's values, so the cell can be run and tested
on its own (``tests/test_colab_setup.py`` runs it with a fake ``google.colab`` and a local git repository).
The function therefore imports what it needs itself and uses nothing of this module.

What the cell does:

* **helpers importable at the course's version** (anywhere): one line saying so, nothing installed;
* **on Colab, helpers missing or of another version**: ``pip install`` of the student package at the course's tag,
  then one line with what it installed;
* **on your own computer, helpers missing or of another version**: how to get them (the course folder's ``./run``,
  or the ``%pip install`` command for this kernel), never an automatic install into someone's own Python;
* **when the install fails**: what went wrong in plain words (no network, the course's tag not published, the
  repository unreadable, pip failed) and what to do, with the command to run. Never a traceback.
"""

from __future__ import annotations

import inspect
import textwrap

from . import settings

#: The import name and the distribution name of the student package (pyproject.toml).
PACKAGE = "dl-numpy-course-helpers"


def helpers_version(course: settings.Course) -> str:
    """The helpers version the course's tag holds: ``helpers_ref`` without its leading ``v`` (v2026.11 -> 2026.11).

    tests/test_colab_setup.py checks that pyproject.toml and ``helpers.__version__`` agree with it.
    """
    return course.helpers_ref.removeprefix("v")


def course_setup(title: str, ref: str, version: str, package: str, repository: str) -> bool:
    """Get the course helpers ``version`` (tag ``ref`` of github.com/``repository``) and print what happened.

    Returns True when ``import helpers`` gives that version afterwards. Prints, never raises.
    """
    import importlib
    import os
    import subprocess
    import sys

    url = f"https://github.com/{repository}"
    spec = f"{package} @ git+{url}@{ref}"
    on_colab = "google.colab" in sys.modules

    def found(fresh=False):
        """(version, folder) of the helpers that `import helpers` gives now, or None."""
        if fresh:  # after an install: forget what Python had cached of the old state
            importlib.invalidate_caches()
            for name in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
                del sys.modules[name]
        try:
            import helpers
        except ImportError:
            return None
        return getattr(helpers, "__version__", "unknown"), os.path.dirname(os.path.abspath(helpers.__file__))

    current = found()
    if current and current[0] == version:
        print(f"✅ {title} ({ref}): course helpers {version} found, ready to go.")
        return True

    if not on_colab:
        if current:
            print(f"⚠️ This notebook is made for the course helpers {version}, but Python finds version "
                  f"{current[0]} in {current[1]}.")
        else:
            print(f"❌ The course helpers are not installed in the Python that runs this notebook "
                  f"({sys.executable}).")
        folder = os.getcwd()
        while not os.path.isfile(os.path.join(folder, "pyproject.toml")) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        if os.path.isdir(os.path.join(folder, "helpers")):
            print(f"   This notebook is in the course folder {folder}: start Jupyter from there with `./run jupyter "
                  "lab` (it installs everything the first time), or install the helpers into this Python by "
                  f"running this in a new cell, then restart the kernel:\n   %pip install -e \"{folder}\"")
        else:
            print("   Install them into this Python by running this in a new cell, then restart the kernel:\n"
                  f"   %pip install \"{spec}\"")
        return False

    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec]
    quiet_git = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a missing repository must fail, not ask for a login
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=quiet_git, timeout=900)
        said, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired:
        said, code = "timed out after 15 minutes: connection timed out", -1
    if code == 0:
        current = found(fresh=True)
        if current and current[0] == version:
            print(f"✅ {title} ({ref}): course helpers {version} installed on Colab, ready to go.")
            return True
        problem = (f"pip installed the helpers {version}, but Python still finds "
                   f"{'version ' + current[0] + ' in ' + current[1] if current else 'no helpers'}.")
        todo = "Restart the session (Runtime ▸ Restart session), then run this cell again."
    else:
        # Ask git directly what it sees at the course's address: that tells the causes apart better than pip's log.
        try:
            probe = subprocess.run(["git", "ls-remote", "--tags", url, ref], capture_output=True, text=True,
                                   env=quiet_git, timeout=60)
            seen, listed = probe.stdout + probe.stderr, probe.returncode == 0
            tag_listed = bool(probe.stdout.strip())
        except (OSError, subprocess.TimeoutExpired) as error:
            seen, listed, tag_listed = str(error), False, False
        offline = ("could not resolve host", "failed to connect", "network is unreachable", "timed out",
                   "temporary failure in name resolution", "name or service not known", "connection refused")
        if not listed and any(word in (seen + said).lower() for word in offline):
            problem = f"this session cannot reach {url} (no internet connection?)."
            todo = ("Check that you are online (on Colab: Runtime ▸ Disconnect and delete runtime, then connect "
                    "again), then run this cell again.")
        elif listed and not tag_listed:
            problem = f"the course version {ref} is not published in {url} (the tag {ref} is not there)."
            todo = (f"Tell your instructor (the tag needs `git push origin {ref}`); when it is there, run this cell "
                    "again.")
        elif not listed:
            problem = f"{url} cannot be read (it does not exist or is private)."
            todo = "Check the notebook's link with your instructor, then run this cell again."
        else:
            lines = [line.strip() for line in said.splitlines() if line.strip()]
            words = [line for line in lines if line.lower().startswith("error")][-3:]   # pip's own verdicts
            words += [line for line in lines[-1:] if line not in words]                 # and how it ended
            problem = "pip could not install them. It said:\n      " + "\n      ".join(words)
            todo = "Run this in a new cell to see the whole message (and send it to your instructor if it persists):"
    print(f"❌ The course helpers could not be installed: {problem}\n   {todo}\n   !pip install \"{spec}\"")
    return False


def cell_source(course: settings.Course) -> str:
    """The code of the set-up cell: :func:`course_setup` and the call with ``course``'s values."""
    function = textwrap.dedent(inspect.getsource(course_setup))
    call = (f"course_setup(title={course.title!r}, ref={course.helpers_ref!r}, version={helpers_version(course)!r},\n"
            f"             package={PACKAGE!r}, repository={course.github_repository!r})")
    return ("#@title Set-up: run this cell first (on Colab it installs the course helpers; on your computer it "
            "checks them)\n"
            + function + "\n\n" + call + "\ndel course_setup")
