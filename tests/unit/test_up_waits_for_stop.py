"""`vigil up` waits for Ctrl-C or SIGTERM (exit 0), or for a process of its own to die (exit 1)."""

from __future__ import annotations

import signal
import subprocess
import threading

from cli.main import _until_stopped


def _keeping_the_signal_mask(test):  # type: ignore[no-untyped-def]
    def run() -> None:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        try:
            test()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)
    return run


@_keeping_the_signal_mask
def test_a_process_that_dies_by_itself_is_a_failure() -> None:
    short = subprocess.Popen(["sleep", "0.2"])
    assert _until_stopped([short]) == 1


@_keeping_the_signal_mask
def test_a_stop_request_is_a_clean_exit_even_if_a_process_ended_with_it() -> None:
    ended = subprocess.Popen(["true"])
    ended.wait()
    running = subprocess.Popen(["sleep", "30"])
    try:
        # to this thread only (it blocks the signal), as a terminal's Ctrl-C reaches the group
        threading.Timer(0.1, signal.pthread_kill,
                        (threading.get_ident(), signal.SIGTERM)).start()
        assert _until_stopped([running, ended]) == 0
    finally:
        running.kill()
        running.wait()
