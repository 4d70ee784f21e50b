"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temporary folder, on a Unix socket only.

Debian's ``postgresql`` package provides the binaries (``/usr/lib/postgresql/<version>/bin``); ``.ci/run`` installs
it. No TCP port is opened (``listen_addresses=''``), so parallel test runs cannot collide. PostgreSQL refuses to run
as root: when the tests run as root, the server runs as the ``postgres`` user (or ``nobody``) and its folder is
handed to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = ("PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/pg_ctl and pg_ctl on "
                "PATH). Install Debian's package: apt-get install -y postgresql (.ci/run does it).")


class PostgresUnavailable(RuntimeError):
    pass


def bin_dir() -> Path | None:
    """The newest PostgreSQL server bin folder on this machine, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path else None


class PostgresServer:
    """``with PostgresServer() as pg: url = pg.create_database("gradebook")``."""

    def __init__(self, user: str = "grader"):
        self.bin = bin_dir()
        if self.bin is None or not (self.bin / "initdb").exists():
            raise PostgresUnavailable(INSTALL_HINT)
        self.user = user
        self.base = Path(tempfile.mkdtemp(prefix="pg-"))  # short: a Unix socket path has at most 107 bytes
        self.data = self.base / "data"
        self.socket_dir = self.base / "sock"
        self.log = self.base / "server.log"
        self.run_as = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self.run_as = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self.run_as is None:
                raise PostgresUnavailable("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.run_as is not None:
            kwargs = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=self.base,
                                env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "LANG": "C"}, **kwargs)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                                      f"{result.stderr}\n{log[-2000:]}")
        return result

    def start(self) -> PostgresServer:
        self.socket_dir.mkdir()
        if self.run_as is not None:
            for path in (self.base, self.socket_dir):
                os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off " \
                  f"-c full_page_writes=off -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")
        return self

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{self.user}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                connection = psycopg2.connect(dbname="postgres", user=self.user, host=str(self.socket_dir))
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except PostgresUnavailable:
            pass
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
