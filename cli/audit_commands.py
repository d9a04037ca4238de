"""The reviewer's commands: replay, export, record-corpus, temporal-setup, audit-prune,
audit-checkpoint.

Reads of live records (replay by id or range, export) are audited under the
`--reader` name, as the API audits a reviewer's reads.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def prepare_temporal() -> list[str]:
    """Register Vigil's search attributes where missing and apply the namespace retention."""
    from audit.retention import apply_temporal_retention
    from settings import get_settings
    from workflows.client import connect_temporal
    from workflows.search_attributes import ensure_registered

    client = await connect_temporal(get_settings())
    added = await ensure_registered(client)
    await apply_temporal_retention(client, get_settings().temporal_retention_days)
    return added


def _temporal_setup(_: argparse.Namespace) -> int:
    added = asyncio.run(prepare_temporal())
    print(f"search attributes added: {', '.join(added) or 'none (all present)'}")
    return 0


async def _replay(args: argparse.Namespace) -> list[dict]:
    from temporalio.client import WorkflowHistory

    from audit import review
    from audit.replay import replay
    from audit.search import WorkflowFilter
    from settings import get_settings
    from workflows.client import connect_temporal

    if args.history:
        outcomes = await replay(WorkflowHistory.from_json(Path(p).stem, Path(p).read_text())
                                for p in args.history)
    else:
        client = await connect_temporal(get_settings())
        if args.workflow_id:
            outcomes = await review.replay_workflow(client, args.workflow_id, reader=args.reader)
        else:
            f = WorkflowFilter(kind=args.kind, closed_after=args.closed_after,
                               closed_before=args.closed_before)
            outcomes = await review.replay_closed(client, f, args.limit, reader=args.reader)
    return [outcome.as_dict() for outcome in outcomes]


def _replay_command(args: argparse.Namespace) -> int:
    if not (args.history or args.workflow_id or args.closed_after):
        raise SystemExit("give a workflow id, --history FILE..., or --closed-after")
    outcomes = asyncio.run(_replay(args))
    print(json.dumps(outcomes, indent=2))
    return 0 if all(o["ok"] for o in outcomes) else 1


def _export(args: argparse.Namespace) -> int:
    from audit.review import export_bundle
    from settings import get_settings
    from workflows.client import connect_temporal

    async def run() -> bytes:
        client = await connect_temporal(get_settings())
        return await export_bundle(client, args.workflow_id, reader=args.reader)

    output = Path(args.output or f"vigil-{args.workflow_id}.zip")
    output.write_bytes(asyncio.run(run()))
    print(output)
    return 0


def _record_corpus(args: argparse.Namespace) -> int:
    return subprocess.call([sys.executable, "-m", "tests.replay.record_corpus", *args.names],
                           cwd=ROOT)


def _audit_prune(args: argparse.Namespace) -> int:
    from audit.retention import prune_audit_log
    from settings import get_settings

    days = args.days or get_settings().audit_retention_days
    if not days:
        print("VIGIL_AUDIT_RETENTION_DAYS is unset: the audit log is kept forever.")
        return 0
    result = prune_audit_log(older_than_days=days, actor=args.reader,
                             archive_dir=Path(args.archive_dir or get_settings().audit_archive_dir))
    print(json.dumps({"removed": result.removed, "archive": result.archive}))
    return 0


def _audit_checkpoint(_: argparse.Namespace) -> int:
    from audit.checkpointing import take_checkpoint

    report, checkpoint = take_checkpoint()
    print(json.dumps({"checkpoint": checkpoint.as_dict() if checkpoint else None,
                      "verification": report.as_dict()}, indent=2))
    return 0 if report.ok else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reader = {"default": f"cli:{getpass.getuser()}", "help": "who the audit log names as reader"}
    replay = sub.add_parser("replay", help="replay recorded histories against today's code")
    replay.add_argument("workflow_id", nargs="?")
    replay.add_argument("--history", nargs="+", help="history JSON files instead of the server")
    replay.add_argument("--closed-after", type=datetime.fromisoformat)
    replay.add_argument("--closed-before", type=datetime.fromisoformat)
    replay.add_argument("--kind", choices=["emergency", "monitoring_session", "medication_schedule"])
    replay.add_argument("--limit", type=int, default=1000)
    replay.add_argument("--reader", **reader)
    replay.set_defaults(run=_replay_command)
    export = sub.add_parser("export", help="write a workflow's audit bundle (zip)")
    export.add_argument("workflow_id")
    export.add_argument("-o", "--output")
    export.add_argument("--reader", **reader)
    export.set_defaults(run=_export)
    record = sub.add_parser("record-corpus", help="re-record tests/replay/histories")
    record.add_argument("names", nargs="*", help="scenario names (default: all)")
    record.set_defaults(run=_record_corpus)
    sub.add_parser("temporal-setup", help="register search attributes, apply retention"
                   ).set_defaults(run=_temporal_setup)
    prune = sub.add_parser("audit-prune", help="archive and remove audit entries past retention")
    prune.add_argument("--days", type=int)
    prune.add_argument("--archive-dir")
    prune.add_argument("--reader", **reader)
    prune.set_defaults(run=_audit_prune)
    sub.add_parser("audit-checkpoint", help="verify the audit chain and sign its head into the"
                   " checkpoint store").set_defaults(run=_audit_checkpoint)
