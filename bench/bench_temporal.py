"""Each benchmark's own Temporal dev server and database, in fresh folders of their own."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from cli.temporal_server import free_port, start_dev_server

if TYPE_CHECKING:
    from cli.stack import Stack


def fresh_temporal() -> tuple[Path, int, subprocess.Popen]:  # type: ignore[type-arg]
    """A new data folder, the dev server's port, and the server (its log in that folder)."""
    data = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    port = free_port()
    server = start_dev_server(port=port, ui_port=None, db_file=data / "temporal.db",
                              log_file=data / "temporal.log", headless=True)
    return data, port, server


@contextmanager
def demo_stack(name: str, env: dict[str, str] | None = None
               ) -> Iterator[tuple[Stack, subprocess.Popen]]:  # type: ignore[type-arg]
    """A fresh dev server and a Vigil stack (with `env`) on VIGIL_DATABASE_URL, migrated and
    seeded with the demo data; both stopped on the way out."""
    from cli.demo_data import seed_demo
    from cli.stack import Stack
    from db.migrate import upgrade

    data, port, server = fresh_temporal()
    stack = None
    try:
        upgrade()
        seed_demo()
        stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                      temporal_address=f"127.0.0.1:{port}", logs=data, name=name,
                      env=env).start()
        yield stack, server
    finally:
        if stack is not None:
            stack.stop()
        server.terminate()
        server.wait(timeout=20)


def run_on_own_database(run: Callable[[argparse.Namespace], Awaitable[dict]],
                        args: argparse.Namespace) -> None:
    """Run a benchmark on the development secret and a SQLite file of its own (unless
    VIGIL_DATABASE_URL names a database), and print what it measured as JSON."""
    os.environ.setdefault("VIGIL_DEV_MODE", "1")
    os.environ.setdefault("VIGIL_DATABASE_URL",
                          f"sqlite:///{tempfile.mkdtemp(prefix='vigil-bench-db-')}/vigil.db")
    print(json.dumps(asyncio.run(run(args)), indent=2))
