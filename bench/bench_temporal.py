"""Each benchmark's own Temporal dev server, persisting to a fresh folder of its own."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from cli.temporal_server import free_port, start_dev_server


def fresh_temporal() -> tuple[Path, int, subprocess.Popen]:  # type: ignore[type-arg]
    """A new data folder, the dev server's port, and the server (its log in that folder)."""
    data = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    port = free_port()
    server = start_dev_server(port=port, ui_port=None, db_file=data / "temporal.db",
                              log_file=data / "temporal.log", headless=True)
    return data, port, server
