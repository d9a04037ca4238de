"""What `workflow.patched()` costs the Temporal server, against a bare workflow in the same run.

Each new run of a workflow that asks a patch records a marker and upserts
the `TemporalChangeVersion` search attribute: two history events and a
visibility write. An emergency asks four in its first task. This starts its
own dev server, then, alternately for `--rounds`, `--count` bare workflows
(one activity) and as many that first ask `--patches` patches, at `--rate`
a second, and prints the server's CPU per workflow of each. Loopback only;
stops by itself.

    .venv/bin/python bench/patch_cost.py --patches 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_temporal import fresh_temporal  # noqa: E402
from bench.idle_cost import cpu_seconds  # noqa: E402


@activity.defn(name="bench_patch_touch")
async def touch() -> None:
    pass


@workflow.defn(name="BenchPatchedWorkflow")
class PatchedWorkflow:
    @workflow.run
    async def run(self, patches: int) -> None:
        for number in range(patches):
            workflow.patched(f"bench-patch-{number}")
        await workflow.execute_activity(touch, start_to_close_timeout=timedelta(seconds=30))


async def server_ms_per_workflow(client: Client, server_pid: int, *, patches: int, count: int,
                                 rate: float) -> float:
    """The server's CPU per workflow while `count` of them start at `rate` and finish."""
    queue = f"bench-patch-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[PatchedWorkflow], activities=[touch],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        before = cpu_seconds(server_pid)
        handles = []
        for number in range(count):
            handles.append(await client.start_workflow(PatchedWorkflow.run, patches,
                                                       id=f"{queue}-{number}", task_queue=queue))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*(handle.result() for handle in handles))
        await asyncio.sleep(3)  # the visibility writes that follow each completion
        return round((cpu_seconds(server_pid) - before) / count * 1000, 1)


async def run(args: argparse.Namespace) -> dict:
    _, port, server = fresh_temporal()
    try:
        client = await Client.connect(f"127.0.0.1:{port}")
        rounds = []
        for _ in range(args.rounds):
            bare, patched = [await server_ms_per_workflow(client, server.pid, patches=p,
                                                          count=args.count, rate=args.rate)
                             for p in (0, args.patches)]
            rounds.append({"bare_ms": bare, "patched_ms": patched,
                           "patched_over_bare": round(patched / bare, 2)})
        return {"patches": args.patches, "count": args.count, "rate_per_s": args.rate,
                "temporal_cpu_per_workflow": rounds}
    finally:
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patches", type=int, default=4)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
