"""Hand in the notebook you are working in, from one of its cells: ``from helpers import submit; submit("01_numpy_basics")``.

It sends the notebook to the course's grading service (the address your instructor gave you), waits for the
grader, and prints your score, what each exercise got, and the address of the feedback page. The first time it
asks for the address and your token (the token is typed hidden and kept only in this session's memory).

Which notebook is sent:

* **on Colab**: the notebook as it is in your browser right now (Colab hands it over; nothing to save first);
* **in VS Code**: the file of the notebook, as last saved;
* **in Jupyter (Lab or Notebook)**: the file of this notebook as last saved, found through the Jupyter server
  that runs it: save first (Ctrl+S). It says when the file was last saved;
* or the file you name: ``submit("01_numpy_basics", notebook="path/to/01_numpy_basics.ipynb")``.

The address can also come from the environment variable ``COURSE_SUBMIT_URL``. Everything here uses the Python
standard library only; nothing is imported until you call :func:`submit`.
"""

from __future__ import annotations

import os
import time

_remembered: dict[str, str] = {}

#: How long submit() waits for the grader before it leaves you the link to look at later.
WAIT_SECONDS = 180.0


class SubmitError(RuntimeError):
    """The notebook could not be handed in; the message says why and what to do."""


def submit(assignment: str | None = None, *, notebook: str | None = None, server: str | None = None,
           token: str | None = None, wait: bool = True, quiet: bool = False) -> dict:
    """Hand in this notebook (or the file ``notebook``) for ``assignment``; returns the grader's answer.

    ``server``: the grading service's address (asked once when not given, or ``COURSE_SUBMIT_URL``);
    ``token``: your token (asked once, hidden, when not given); ``wait``: wait for the grade and print it.
    The answer is a dict with ``status`` (``queued``, ``grading``, then ``graded``...), ``score``,
    ``max_score``, ``feedback_url`` and the ``exercises``.
    """
    say = (lambda *a: None) if quiet else print
    name, data = _this_notebook(notebook, say)
    assignment = assignment or _assignment_from(name)
    if not assignment:
        raise SubmitError('Say which assignment this is, for example submit("01_numpy_basics").')
    base = _server(server)
    secret = _token(token)
    answer = _post(base, secret, assignment, name or f"{assignment}.ipynb", data)
    say(f"Handed in {assignment} (attempt {answer.get('attempt')}); waiting for the grader...")
    if not wait:
        return answer
    answer = _wait(answer, secret, say)
    _show(answer, say)
    return answer


# --- which notebook --------------------------------------------------------------------------------------------------
def _this_notebook(path: str | None, say) -> tuple[str, bytes]:
    """(file name, bytes) of the notebook to send."""
    if path:
        return _read(path)
    colab = _from_colab()
    if colab is not None:
        return colab
    path = _vscode_path() or _jupyter_path()
    if path:
        saved = time.strftime("%H:%M:%S", time.localtime(os.path.getmtime(path)))
        say(f"Sending {os.path.basename(path)} as last saved at {saved} (save first if you changed it since).")
        return _read(path)
    raise SubmitError("I could not find which notebook this is. Save it, then name the file: "
                      'submit("01_numpy_basics", notebook="01_numpy_basics.ipynb").')


def _read(path: str) -> tuple[str, bytes]:
    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        raise SubmitError(f"There is no file {path!r}.")
    with open(path, "rb") as f:
        return os.path.basename(path), f.read()


def _from_colab() -> tuple[str, bytes] | None:
    """The notebook as it is in the Colab browser tab (Colab's own request for it), or None when not on Colab."""
    try:
        from google.colab import _message  # type: ignore[import-not-found]
    except ImportError:
        return None
    import json

    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=60)
    content = reply.get("ipynb") if isinstance(reply, dict) else None
    if not content:
        raise SubmitError("Colab did not hand over the notebook; try again, or download it (File > Download > "
                          ".ipynb) and upload it on the course's hand-in page.")
    name = ((content.get("metadata") or {}).get("colab") or {}).get("name") or ""
    return os.path.basename(name), json.dumps(content).encode("utf-8")


def _vscode_path() -> str | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    path = shell.user_ns.get("__vsc_ipynb_file__") if shell is not None else None
    return path if isinstance(path, str) and os.path.isfile(path) else None


def _kernel_id() -> str | None:
    try:
        from ipykernel import get_connection_file
    except ImportError:
        return None
    try:
        name = os.path.basename(get_connection_file())
    except Exception:  # noqa: BLE001 - not in a kernel
        return None
    return name[len("kernel-"):-len(".json")] if name.startswith("kernel-") and name.endswith(".json") else None


def _running_servers() -> list[dict]:
    for module in ("jupyter_server.serverapp", "notebook.notebookapp"):
        try:
            app = __import__(module, fromlist=["list_running_servers"])
        except ImportError:
            continue
        try:
            return list(app.list_running_servers())
        except Exception:  # noqa: BLE001 - a stale server file: try the next
            continue
    return []


def _jupyter_path() -> str | None:
    """The file of this kernel's notebook, asked of the Jupyter servers on this machine (their sessions API)."""
    import json
    import urllib.request

    kernel = _kernel_id()
    if not kernel:
        return None
    for info in _running_servers():
        url = info.get("url", "").rstrip("/") + "/api/sessions"
        request = urllib.request.Request(url, headers={"Authorization": f"token {info.get('token', '')}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                sessions = json.load(response)
        except Exception:  # noqa: BLE001 - that server is gone, or not ours
            continue
        for session in sessions:
            if (session.get("kernel") or {}).get("id") == kernel:
                relative = (session.get("notebook") or {}).get("path") or session.get("path") or ""
                root = info.get("root_dir") or info.get("notebook_dir") or ""
                path = os.path.join(root, relative)
                if os.path.isfile(path):
                    return path
    return None


def _assignment_from(name: str) -> str | None:
    """The assignment a notebook file is named after (a download's " (1)" dropped)."""
    import re

    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else ""
    return re.sub(r"\s*\(\d+\)$", "", stem) or None


# --- the server and the token ------------------------------------------------------------------------------------
def _server(server: str | None) -> str:
    base = server or _remembered.get("server") or os.environ.get("COURSE_SUBMIT_URL", "")
    if not base:
        base = input("Address of the course's grading service (your instructor gave it): ").strip()
    if not base.startswith(("http://", "https://")):
        raise SubmitError(f"{base!r} is not a web address: it starts with https://")
    base = base.rstrip("/")
    _remembered["server"] = base
    return base


def _token(token: str | None) -> str:
    secret = token or _remembered.get("token")
    if not secret:
        import getpass

        secret = getpass.getpass("Your token (it stays hidden): ").strip()
    if not secret:
        raise SubmitError("No token given: paste the token your instructor sent you.")
    _remembered["token"] = secret
    return secret


# --- HTTP ------------------------------------------------------------------------------------------------------------
def _request(method: str, url: str, token: str, body: bytes | None = None, content_type: str | None = None) -> dict:
    import json
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        try:
            detail = json.load(error).get("detail", "")
        except Exception:  # noqa: BLE001 - not the service's JSON
            detail = ""
        if error.code == 401:
            _remembered.pop("token", None)  # asked again next time
        raise SubmitError(f"Not handed in: {detail or error.reason} (HTTP {error.code})") from None
    except (urllib.error.URLError, OSError) as error:
        raise SubmitError(f"The grading service at {url.split('/api/')[0]} cannot be reached ({error}). Check the "
                          "address and your connection, then try again.") from None


def _post(base: str, token: str, assignment: str, filename: str, data: bytes) -> dict:
    import uuid

    boundary = f"----coursetools{uuid.uuid4().hex}"
    safe_name = os.path.basename(filename).replace('"', "")
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="assignment"\r\n\r\n{assignment}\r\n'.encode(),
             (f'--{boundary}\r\nContent-Disposition: form-data; name="notebook"; filename="{safe_name}"\r\n'
              f"Content-Type: application/x-ipynb+json\r\n\r\n").encode() + data + b"\r\n",
             f"--{boundary}--\r\n".encode()]
    return _request("POST", f"{base}/api/submissions", token, b"".join(parts),
                    f"multipart/form-data; boundary={boundary}")


def _wait(answer: dict, token: str, say) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    delay = 1.0
    while answer.get("status") in ("queued", "grading") and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
        answer = _request("GET", answer["status_url"], token)
    if answer.get("status") in ("queued", "grading"):
        say(f"The grader is busy; your notebook is handed in and waits its turn. Look later: {answer['status_url']}")
    return answer


def _show(answer: dict, say) -> None:
    if answer.get("status") in ("queued", "grading"):
        return
    score, best = answer.get("score"), answer.get("max_score")
    if score is not None and best is not None:
        say(f"Score: {score:g} / {best:g} ({answer.get('status')})")
    else:
        say(f"Status: {answer.get('status')}. {answer.get('reason') or ''}".strip())
    for exercise in answer.get("exercises", []):
        got, of = exercise.get("score"), exercise.get("max_score")
        mark = "ok  " if got is not None and got >= of else "lost"
        say(f"  {mark} {exercise.get('grade_id')}: {'-' if got is None else f'{got:g}'} / {of:g}")
        for message in exercise.get("messages", [])[:2]:
            say(f"       {message}")
    if answer.get("feedback_url"):
        say(f"Feedback page: {answer['feedback_url']}")
