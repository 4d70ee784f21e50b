"""A student's session in JupyterLab, driven in headless Debian chromium: what tests/test_browser.py judges.

It starts JupyterLab 4 on the loopback in a scratch folder (own config, data, settings and runtime folders, so
nothing of the machine's Jupyter set-up plays a part), opens a notebook, runs all its cells from the Run menu,
and reads back from the page what every code cell shows. Then it replaces one answer the way a student does
(click into the cell, select all, type), runs that cell and the next, and reads that again. Screenshots go to the
output folder. It judges nothing: it writes what it saw to ``report.json`` in the output folder.

    python tests/support/browser_lab.py NOTEBOOK OUTPUT_DIR --answer GRADE_ID CODE

tests/test_browser.py runs it inside bubblewrap without network (only a loopback): the kernels JupyterLab starts
must need none.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: The flags of the developers' guide: no first-run dialogs, no background traffic, a fresh profile.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1400")

#: JupyterLab settings for the session: every cell attached to the page (not only those in view), no automatic
#: brackets while typing, no news or update checks (no network).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/codemirror-extension/plugin.jupyterlab-settings": {"defaultConfig": {"autoClosingBrackets": False}},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
}

# What the page shows of each code cell, in notebook order: its prompt, its output text, and whether any output is
# rendered as stderr or an error (JupyterLab renders both with the stderr MIME type).
CELLS_JS = """
return Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')).map(cell => {
  const prompt = cell.querySelector('.jp-InputPrompt');
  const outputs = cell.querySelector('.jp-OutputArea');
  return {prompt: prompt ? prompt.textContent.trim() : '',
          output: outputs ? outputs.innerText : '',
          stderr: cell.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length};
});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """JupyterLab serving ``root`` on the loopback, with its own Jupyter folders under ``home``."""

    def __init__(self, root: Path, home: Path, log: Path):
        self.root, self.home, self.log_path = root, home, log
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Lab:
        folders = {name: self.home / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        for name, values in LAB_SETTINGS.items():
            path = folders["settings"] / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        (folders["config"] / "jupyter_server_config.json").write_text(json.dumps({
            "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
        env |= {"JUPYTER_CONFIG_DIR": str(folders["config"]), "JUPYTER_DATA_DIR": str(folders["data"]),
                "JUPYTER_RUNTIME_DIR": str(folders["runtime"]), "JUPYTERLAB_SETTINGS_DIR": str(folders["settings"]),
                "JUPYTERLAB_WORKSPACES_DIR": str(folders["workspaces"]), "IPYTHONDIR": str(folders["ipython"]),
                "JUPYTER_PLATFORM_DIRS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}", "--allow-root"],  # CI runs as root
            cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.api("status")
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; see {self.log.name}") from None
                time.sleep(0.3)

    def api(self, path: str):
        with urllib.request.urlopen(f"{self.url}/api/{path}?token={self.token}", timeout=10) as response:
            return json.load(response)

    def busy(self) -> bool:
        return any(k["execution_state"] != "idle" for k in self.api("kernels"))

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # Both paths given: Selenium Manager (which would download a driver) never runs.
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def wait(condition, timeout: float, what: str, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def settled(driver, lab: Lab, count: int | None = None):
    """Wait until the kernel is idle and no cell is queued or running (no ``[*]`` prompt); the cells' facts."""
    def done():
        cells = driver.execute_script(CELLS_JS)
        if (count is None or len(cells) == count) and not any("*" in c["prompt"] for c in cells) and not lab.busy():
            return cells
        return None
    wait(done, 300, "the notebook to finish running")
    time.sleep(0.5)  # outputs of the last message render after the kernel says idle
    return wait(done, 30, "the notebook to stay idle")


def session(notebook: Path, out: Path, answer: tuple[str, str] | None) -> dict:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"notebook": notebook.name, "timings": {}}
    with tempfile.TemporaryDirectory(prefix="browser-lab-") as scratch:
        scratch = Path(scratch)
        root = scratch / "course" / "release" / notebook.stem   # as a student's checkout: release/<assignment>/
        root.mkdir(parents=True)
        shutil.copyfile(notebook, root / notebook.name)
        code_cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        started = time.monotonic()
        with Lab(root, scratch / "home", out / "jupyterlab.log") as lab:
            report["timings"]["lab_start"] = time.monotonic() - started
            driver = browser(scratch / "profile")
            try:
                mark = time.monotonic()
                driver.get(f"{lab.url}/lab/tree/{notebook.name}?token={lab.token}")
                wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")) == len(code_cells),
                     120, "the notebook's cells on the page")
                wait(lambda: lab.api("kernels") and not lab.busy(), 120, "the kernel to start")
                report["timings"]["open"] = time.monotonic() - mark

                mark = time.monotonic()
                driver.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Run']").click()
                run_all = "//li[contains(@class,'lm-Menu-item')][.//div[text()='Run All Cells']]"
                wait(lambda: driver.find_elements(By.XPATH, run_all), 10, "Run All Cells in the Run menu")[0].click()
                wait(lambda: any("*" in c["prompt"] or c["prompt"] != "[ ]:" for c in driver.execute_script(CELLS_JS)),
                     30, "the run to start")
                report["run_all"] = settled(driver, lab, len(code_cells))
                report["timings"]["run_all"] = time.monotonic() - mark
                driver.save_screenshot(str(out / "1-run-all-top.png"))
                tests = [i for i, c in enumerate(code_cells)
                         if c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"].get("solution")]
                elements = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell.jp-CodeCell")
                if tests:
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", elements[tests[-1]])
                    time.sleep(0.3)
                    driver.save_screenshot(str(out / "2-run-all-last-test.png"))

                if answer:
                    grade_id, code = answer
                    index = next(i for i, c in enumerate(code_cells)
                                 if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
                    mark = time.monotonic()
                    editor = elements[index].find_element(By.CSS_SELECTOR, ".cm-content")
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", editor)
                    editor.click()
                    ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
                    ActionChains(driver).send_keys(code).perform()
                    # Shift+Enter twice: run the answer cell, then the test cell below it, as a student does.
                    for _ in range(2):
                        ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
                        time.sleep(0.3)
                    cells = settled(driver, lab)
                    report["answer"] = {"grade_id": grade_id, "typed": code, "cell": cells[index],
                                        "test": cells[index + 1],
                                        "source": elements[index].find_element(By.CSS_SELECTOR, ".cm-content").text}
                    report["timings"]["answer"] = time.monotonic() - mark
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", elements[index + 1])
                    time.sleep(0.3)
                    driver.save_screenshot(str(out / "3-wrong-answer.png"))
            except Exception:
                driver.save_screenshot(str(out / "error.png"))   # what the page showed when it went wrong
                (out / "error.html").write_text(driver.page_source)
                raise
            finally:
                driver.quit()
        report["test_cells"] = tests
        report["code_cells"] = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                                for c in code_cells]
        report["timings"]["total"] = time.monotonic() - started
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--answer", nargs=2, metavar=("GRADE_ID", "CODE"))
    args = parser.parse_args()
    session(args.notebook.resolve(), args.out.resolve(), tuple(args.answer) if args.answer else None)


if __name__ == "__main__":
    main()
