"""``helpers.submit()``: which notebook it sends (a file, Colab's, Jupyter's), the token asked once, clear errors.

A real service answers on loopback (uvicorn in a thread, grading off: attempts stay queued);
tests/serve/test_end_to_end.py hands in through it with grading on.
"""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import types

import nbformat
import pytest

from coursetools.course import settings
from coursetools.serve import layout
from coursetools.serve.app import create_app
from coursetools.serve.config import ServeSettings
from coursetools.serve.service import Service
from coursetools.serve.store import Store
from coursetools.serve.tokens import STUDENT
from helpers import handin
from tests.support.course import REFERENCE, TINY, answered, make_course

TOKEN = "hana-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    import uvicorn

    cd = make_course(tmp_path_factory.mktemp("handin") / "course")
    Store(layout.service_dir(cd)).set_token("hana", STUDENT, TOKEN)
    svc = Service(cd, ServeSettings(attempts_per_hour=50, attempts_per_day=100), grade=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield svc, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(autouse=True)
def forget():
    handin._remembered.clear()
    yield
    handin._remembered.clear()


def notebook_bytes(svc) -> bytes:
    return nbformat.writes(answered(svc.cd, REFERENCE)).encode()


def kept(svc, answer) -> bytes:
    attempt = svc.store.get(answer["id"])
    return (layout.attempt_dir(svc.cd, "hana", TINY, attempt.number) / "tiny.ipynb").read_bytes()


def test_submit_a_named_file(service, tmp_path, capsys):
    svc, url = service
    path = tmp_path / "tiny.ipynb"
    path.write_bytes(notebook_bytes(svc))
    answer = handin.submit(notebook=str(path), server=url, token=TOKEN, wait=False)
    assert answer["status"] == "queued" and answer["assignment"] == TINY  # named after the file
    assert kept(svc, answer) == path.read_bytes()
    assert "Handed in tiny" in capsys.readouterr().out


def test_submit_on_colab_sends_the_notebook_of_the_browser(service, monkeypatch):
    svc, url = service
    content = json.loads(notebook_bytes(svc))
    content["metadata"]["colab"] = {"name": "tiny.ipynb", "provenance": []}
    asked = []

    def blocking_request(kind, request="", timeout_sec=0):
        asked.append(kind)
        return {"ipynb": content}

    colab = types.ModuleType("google.colab")
    colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    answer = handin.submit(server=url, token=TOKEN, wait=False, quiet=True)
    assert asked == ["get_ipynb"]
    assert json.loads(kept(svc, answer)) == content


def test_submit_in_jupyter_finds_the_notebook_through_the_server(service, tmp_path, monkeypatch, capsys):
    svc, url = service
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "tiny.ipynb").write_bytes(notebook_bytes(svc))
    seen = {}

    class Sessions(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's name is fixed by http.server
            seen["auth"], seen["path"] = self.headers.get("Authorization"), self.path
            body = json.dumps([{"kernel": {"id": "other"}, "path": "x.ipynb"},
                               {"kernel": {"id": "k-123"}, "notebook": {"path": "work/tiny.ipynb"}}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    jupyter = http.server.HTTPServer(("127.0.0.1", 0), Sessions)
    threading.Thread(target=jupyter.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(handin, "_kernel_id", lambda: "k-123")
        monkeypatch.setattr(handin, "_running_servers", lambda: [
            {"url": f"http://127.0.0.1:{jupyter.server_port}/", "token": "jt", "root_dir": str(tmp_path)}])
        monkeypatch.setattr(handin, "_vscode_path", lambda: None)
        answer = handin.submit(server=url, token=TOKEN, wait=False)
    finally:
        jupyter.shutdown()
    assert seen == {"auth": "token jt", "path": "/api/sessions"}
    assert kept(svc, answer) == (tmp_path / "work" / "tiny.ipynb").read_bytes()
    assert "as last saved at" in capsys.readouterr().out


def test_the_token_is_asked_once_and_a_wrong_one_forgotten(service, tmp_path, monkeypatch):
    svc, url = service
    path = tmp_path / "tiny.ipynb"
    path.write_bytes(notebook_bytes(svc))
    answers = iter(["wrong-token-0123456789", TOKEN])
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or next(answers))
    with pytest.raises(handin.SubmitError, match="not valid"):
        handin.submit(notebook=str(path), server=url, wait=False, quiet=True)
    assert handin.submit(notebook=str(path), server=url, wait=False, quiet=True)["status"] == "queued"
    assert handin.submit(notebook=str(path), wait=False, quiet=True)["status"] == "queued"  # remembered
    assert len(asked) == 2


def test_clear_errors(service, tmp_path):
    svc, url = service
    with pytest.raises(handin.SubmitError, match="no file"):
        handin.submit("tiny", notebook=str(tmp_path / "nope.ipynb"), server=url, token=TOKEN)
    path = tmp_path / "tiny.ipynb"
    path.write_text("{ not a notebook")
    with pytest.raises(handin.SubmitError, match="not valid JSON"):
        handin.submit(notebook=str(path), server=url, token=TOKEN, wait=False)
    with pytest.raises(handin.SubmitError, match="cannot be reached"):
        handin.submit(notebook=str(path), server=f"http://127.0.0.1:{free_port()}", token=TOKEN)
    with pytest.raises(handin.SubmitError, match="web address"):
        handin.submit(notebook=str(path), server="grader.example", token=TOKEN)


def test_importing_helpers_does_not_import_the_hand_in():
    code = "import sys, helpers; assert 'helpers.handin' not in sys.modules; from helpers import submit; print(submit)"
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "function submit" in result.stdout
