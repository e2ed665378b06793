"""A real ``nigran serve`` for the browser tests and the load benchmark: a demo database in a folder, the
server as a subprocess on a free loopback port, waited for, stopped at the end.

Kept apart from the fixtures so that ``benchmarks/load.py`` starts servers the same way the tests do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: ``python -c`` entry point, so the server runs under the interpreter of the tests (no PATH lookup).
_NIGRAN = [sys.executable, "-c", "import sys; from nigran.cli import main; sys.argv[0] = 'nigran'; main()"]


@dataclass(frozen=True)
class Server:
    """A running server: its base URL (``http://127.0.0.1:PORT``), port, database URL and log file."""

    url: str
    port: int
    database_url: str
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice); a race with another process is unlikely here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nigran(args: Sequence[str], env: dict[str, str], log: Path, timeout: float = 600) -> None:
    """Run one ``nigran`` command to completion; its output goes to ``log``; a failure raises with it."""
    with log.open("ab") as out:
        done = subprocess.run(
            [*_NIGRAN, *args], env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
        )
    if done.returncode != 0:
        raise RuntimeError(f"nigran {' '.join(args)} exited {done.returncode}:\n{log.read_text()[-4000:]}")


def prepare_demo(folder: Path, database_url: str | None = None) -> tuple[str, dict[str, str]]:
    """``nigran demo --no-serve`` on a new SQLite file in ``folder`` (or on ``database_url``); returns the
    database URL and the environment the server is to run with."""
    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder / 'nigran.db'}"
    env = {**os.environ, "NIGRAN_DATABASE_URL": url, "NIGRAN_DATA_DIR": str(folder), "NO_COLOR": "1"}
    env.pop("NIGRAN_USER", None)
    nigran(["demo", "--no-serve"], env, folder / "demo.log")
    return url, env


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    """Poll ``/login`` until the server answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nigran serve exited {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"nigran serve did not answer within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (uvicorn shuts down gracefully, workers included), then
    SIGKILL to the whole group if it hangs, so that no worker process outlives the tests."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers left behind by a parent that did stop
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextlib.contextmanager
def serving(
    folder: Path, env: dict[str, str], database_url: str, *, workers: int = 1, extra: Sequence[str] = ()
) -> Iterator[Server]:
    """``nigran serve`` on a free loopback port, for as long as the ``with`` lasts."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *extra]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*_NIGRAN, *args],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield Server(url=url, port=port, database_url=database_url, log=log)
    finally:
        stop(process)
