"""`vigil <command>`: up, token, migrate, seed, audit-verify, chaos, and the reviewer's commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from cli import audit_commands

ROOT = Path(__file__).resolve().parent.parent


def _up(args: argparse.Namespace) -> int:
    """Start Temporal, the workers (emergencies in a process of their own) and the API as
    separate processes, with demo data."""
    from cli.demo_data import seed_demo
    from cli.stack import EMERGENCY_APART, Stack
    from cli.temporal_server import start_dev_server
    from api.auth import mint_token
    from db.migrate import upgrade
    from settings import get_settings

    data = Path(args.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("VIGIL_DATABASE_URL", f"sqlite:///{data / 'vigil.db'}")
    os.environ.setdefault("VIGIL_TEMPORAL_ADDRESS", f"127.0.0.1:{args.temporal_port}")
    os.environ.setdefault("VIGIL_PUBLIC_BASE_URL", f"http://127.0.0.1:{args.port}")
    # The audit checkpoints vouch for this data directory's log, so they live beside it.
    os.environ.setdefault("VIGIL_AUDIT_CHECKPOINT_DIR", str(data / "audit-checkpoints"))
    get_settings.cache_clear()
    children: list[subprocess.Popen[bytes]] = []
    stacks: list[Stack] = []
    print(f"Starting Temporal dev server (data in {data / 'temporal.db'}) ...", flush=True)
    children.append(start_dev_server(port=args.temporal_port, ui_port=args.ui_port,
                                     db_file=data / "temporal.db", log_file=data / "temporal.log"))
    try:
        # A dev-server database from before a search attribute was added lacks it.
        asyncio.run(audit_commands.prepare_temporal())
        upgrade()
        added = seed_demo()
        print(f"Database ready ({get_settings().database_url}); demo rows added: {added}")
        stack = Stack(database_url=get_settings().database_url,
                      temporal_address=get_settings().temporal_address, logs=data,
                      name="vigil", api_ports=[args.port],
                      env={"VIGIL_DEV_MODE": "1", "VIGIL_TASK_QUEUE": get_settings().task_queue,
                           "VIGIL_ROUTINE_TASK_QUEUE": get_settings().routine_task_queue,
                           "VIGIL_WEBHOOK_TASK_QUEUE": get_settings().webhook_task_queue,
                           "VIGIL_EVENTS_CHANNEL": get_settings().events_channel},
                      worker_queues=EMERGENCY_APART, ingest_port=args.ingest_port)
        stacks.append(stack.start())
        base = f"http://127.0.0.1:{args.port}"
        print(f"""
Vigil is running.
  Console          {base}/console   (development sign-in lists the demo people)
  API docs         {base}/docs
  Health           {base}/healthz   (ready: {base}/readyz, metrics: {base}/metrics)
  Device readings  {stack.ingest_url}/api/v1/sessions/{{id}}/readings   (the ingest API: a
                   process of its own at lower CPU priority, so floods of readings never slow a page)
  Temporal Web UI  http://127.0.0.1:{args.ui_port}
  Outbox (SMS, voice, email, push without credentials): GET {base}/api/v1/outbox

Demo tokens (valid 12 h):
  admin     {mint_token('admin-raj', ['admin'], 43200)}
  dr-tan    {mint_token('dr-tan', ['provider'], 43200)}
  auditor   {mint_token('auditor-ng', ['auditor'], 43200)}

Press Ctrl-C to stop everything.""", flush=True)
        return _until_stopped([*children, *stack.apis, *stack.workers])
    except KeyboardInterrupt:
        return 0
    finally:
        for running in stacks:
            running.stop()
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _until_stopped(processes: list[subprocess.Popen[bytes]]) -> int:
    """Wait for Ctrl-C or SIGTERM (0), or for one of `processes` to exit by itself (1).

    Ctrl-C in a terminal reaches the whole process group, so the children stop too. The
    signals are blocked here and taken with sigtimedwait, never as an exception at some
    bytecode: a child that ended on the same Ctrl-C finds it already pending (the kernel
    marks every member of the group before any of them can finish exiting), and is not
    mistaken for a crash. Blocked only now, after every child has started with its own.
    """
    stops = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    while signal.sigtimedwait(stops, 0.5) is None:
        if any(p.poll() is not None for p in processes):
            if signal.sigpending() & stops:
                return 0
            print("a Vigil process exited; stopping the rest", file=sys.stderr)
            return 1
    return 0


def _token(args: argparse.Namespace) -> int:
    from api.auth import mint_token

    print(mint_token(args.sub, args.role, args.ttl, args.patient or None))
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from db.migrate import upgrade

    upgrade()
    return 0


def _seed(_: argparse.Namespace) -> int:
    from cli.demo_data import seed_demo

    print(f"demo rows added: {seed_demo()}")
    return 0


def _audit_verify(_: argparse.Namespace) -> int:
    from audit.chain import verify
    from db.engine import reading

    with reading() as session:
        report = verify(session)
    print(json.dumps(report.as_dict(), indent=2))
    return 0 if report.ok else 1


def _chaos(args: argparse.Namespace) -> int:
    """The fault campaign (bench/faults.py, which lives beside the other benchmarks)."""
    sys.path.insert(0, str(ROOT))
    from bench.faults import main as campaign

    return campaign(args.campaign_args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="vigil", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start Temporal, the worker and the API with demo data")
    up.add_argument("--data-dir", default=str(ROOT / "var"))
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--ingest-port", type=int, default=8002,
                    help="the ingest API's port, for devices and integrations posting readings")
    up.add_argument("--temporal-port", type=int, default=7233)
    up.add_argument("--ui-port", type=int, default=8233)
    up.set_defaults(run=_up)
    token = sub.add_parser("token", help="mint a development bearer token")
    token.add_argument("--sub", required=True, help="staff id (or patient/family id)")
    token.add_argument("--role", action="append", required=True,
                       help="provider, coordinator, admin, auditor, patient or family (repeatable)")
    token.add_argument("--patient", action="append", help="a patients claim (informational: consent records decide what family see)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.set_defaults(run=_token)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    sub.add_parser("seed", help="insert the demo data").set_defaults(run=_seed)
    sub.add_parser("audit-verify", help="verify the audit chain against its checkpoints"
                   ).set_defaults(run=_audit_verify)
    chaos = sub.add_parser("chaos", add_help=False, prefix_chars="\0",
                           help="kill -9 worker/API/Temporal mid-escalation and check every page "
                                "(bench/faults.py; `vigil chaos --help` for its options)")
    chaos.add_argument("campaign_args", nargs="*")  # bench/faults.py parses them
    chaos.set_defaults(run=_chaos)
    audit_commands.add_parsers(sub)
    return top


def main() -> None:
    args = parser().parse_args()
    sys.exit(args.run(args))


if __name__ == "__main__":
    main()
