"""Record the replay corpus: run every scenario on a fresh stack and keep its history.

    python -m tests.replay.record_corpus [name ...]     (or: vigil record-corpus)

Starts its own Temporal dev server, worker and API on a scratch SQLite
database, runs the scenarios in scenarios.py and writes each closed workflow's
history to tests/replay/histories/<name>.json, in the same JSON form that
`temporal workflow show --output json` prints. See docs/AUDIT.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

HISTORIES = Path(__file__).resolve().parent / "histories"


def _one_event_a_line(history: dict) -> str:
    """Compact, yet a re-recording diffs event by event."""
    lines = ",\n".join(json.dumps(event, separators=(",", ":")) for event in history["events"])
    return f'{{"events": [\n{lines}\n]}}\n'


async def record(names: list[str]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="vigil-corpus-"))
    # Before anything reads settings: this process seeds the database the stack uses.
    os.environ["VIGIL_DATABASE_URL"] = f"sqlite:///{scratch / 'vigil.db'}"
    os.environ.setdefault("VIGIL_JWT_SECRET", "corpus-" + uuid.uuid4().hex)
    os.environ["VIGIL_POLICY_MIN_ACK_TIMEOUT_S"] = "0.2"  # the scenarios use sub-second tiers
    from temporalio.client import Client

    from cli.demo_data import seed_demo
    from cli.stack import Stack
    from cli.temporal_server import free_port, start_dev_server
    from db.migrate import upgrade
    from settings import get_settings
    from tests.replay.scenarios import SCENARIOS

    get_settings.cache_clear()
    port = free_port()
    server = start_dev_server(port=port, ui_port=None, db_file=scratch / "temporal.db",
                              log_file=scratch / "temporal.log", headless=True)
    upgrade(os.environ["VIGIL_DATABASE_URL"])
    seed_demo()
    stack = Stack(database_url=os.environ["VIGIL_DATABASE_URL"],
                  temporal_address=f"127.0.0.1:{port}", logs=scratch, name="corpus",
                  env={"VIGIL_DEV_MODE": "1"}).start()  # webhook scenarios use loopback
    try:
        client = await Client.connect(f"127.0.0.1:{port}")
        for name in names or list(SCENARIOS):
            workflow_id = await SCENARIOS[name](stack.api_url, client)
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            path = HISTORIES / f"{name}.json"
            path.write_text(_one_event_a_line(history.to_json_dict()))
            print(f"{path.relative_to(Path.cwd())}: {len(history.events)} events")
    finally:
        stack.stop()
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
