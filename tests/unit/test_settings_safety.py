"""The API and the worker refuse to serve on the well-known development JWT secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import DEV_AUDIT_KEY, DEV_JWT_SECRET, InsecureSettings, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_development_secret_is_refused_without_dev_mode() -> None:
    with pytest.raises(InsecureSettings, match="VIGIL_JWT_SECRET"):
        Settings(jwt_secret=DEV_JWT_SECRET, dev_mode=False).check_safe_to_serve()


def test_the_development_audit_key_is_refused_without_dev_mode() -> None:
    with pytest.raises(InsecureSettings, match="VIGIL_AUDIT_KEY"):
        Settings(jwt_secret="a-real-secret-" + "x" * 32, audit_key=DEV_AUDIT_KEY,
                 dev_mode=False).check_safe_to_serve()


def test_dev_mode_or_real_secrets_may_serve() -> None:
    Settings(jwt_secret=DEV_JWT_SECRET, audit_key=DEV_AUDIT_KEY, dev_mode=True).check_safe_to_serve()
    Settings(jwt_secret="a-long-random-production-secret-" + "x" * 32,
             audit_key="a-long-random-audit-key-" + "y" * 32).check_safe_to_serve()


def _env_without_secret(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIGIL_JWT_SECRET", "VIGIL_DEV_MODE")}
    env["VIGIL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'vigil.db'}"
    env["VIGIL_TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # never reached: the check comes first
    return env


@pytest.mark.parametrize("command", [
    [sys.executable, "worker.py"],
    [sys.executable, "-m", "uvicorn", "api.main:app", "--port", "0", "--log-level", "error"],
], ids=["worker", "api"])
def test_a_process_started_on_the_development_secret_exits_saying_why(
        command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(command, cwd=ROOT, env=_env_without_secret(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "VIGIL_JWT_SECRET is the built-in development secret" in done.stdout + done.stderr


async def test_a_synchronous_database_call_on_the_event_loop_is_refused_when_forbidden(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard every test stack runs with: a route that blocks the loop fails loudly."""
    import asyncio

    from db.engine import BlockingCallOnEventLoop, reading
    from settings import get_settings

    monkeypatch.setenv("VIGIL_FORBID_DB_ON_EVENT_LOOP", "1")
    get_settings.cache_clear()
    try:
        with pytest.raises(BlockingCallOnEventLoop):
            with reading():
                pass

        def off_the_loop() -> bool:
            with reading():
                return True
        assert await asyncio.to_thread(off_the_loop)
    finally:
        monkeypatch.delenv("VIGIL_FORBID_DB_ON_EVENT_LOOP")
        get_settings.cache_clear()
