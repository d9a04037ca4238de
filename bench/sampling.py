"""Sample every thread of a running process with py-spy (the `bench` extra), for
bench/profile_summary.py: workflow tasks and activities run on the worker's threads."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


class Sampler:
    """py-spy recording `pid` into `path` from start() until stop(); does nothing without a path."""

    def __init__(self, pid: int, path: str | None, rate: int = 200) -> None:
        self.pid, self.path, self.rate = pid, path, rate
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Sampler:
        if self.path:
            self._process = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(self.pid),
                 "--rate", str(self.rate), "--format", "raw", "--nonblocking", "-o", self.path],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)  # it writes its samples as it stops
            self._process.wait(timeout=60)
            self._process = None
