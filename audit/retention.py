"""Retention: how long Temporal and the audit log keep things, and what happens after.

Temporal deletes a closed workflow's history after the namespace's retention.
The audit log is kept forever unless `audit_retention_days` is set; then
`prune_audit_log` first writes the entries it removes, with the chain's
verification, to an archive file, then removes them and appends an
`audit.pruned` entry naming the last removed entry's hash and MAC; `audit.chain.verify`
accepts a chain that starts right after such a prune and nothing else. For a
single workflow, the export bundle is the record that outlives both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from sqlmodel import Session, col, delete, func, select
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest
from temporalio.client import Client

from audit.chain import PRUNED, append, verify
from db.engine import writing
from db.models import AuditEntry


async def apply_temporal_retention(client: Client, days: int) -> None:
    """Set how long the namespace keeps closed workflows' histories."""
    await client.workflow_service.update_namespace(UpdateNamespaceRequest(
        namespace=client.namespace,
        config=NamespaceConfig(workflow_execution_retention_ttl=Duration(seconds=days * 86400))))


@dataclass
class PruneResult:
    removed: int
    archive: str | None


def prune_audit_log(*, older_than_days: int, archive_dir: Path, actor: str,
                    now: datetime | None = None) -> PruneResult:
    """Archive, then remove, the entries older than the retention, in one transaction."""
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)).isoformat(
        timespec="microseconds")
    with writing() as session:
        through = session.exec(select(func.max(AuditEntry.seq)).where(AuditEntry.at < cutoff)).one()
        if through is None:
            return PruneResult(0, None)
        # Everything up to the last old entry goes, so what stays is one unbroken stretch.
        old = session.exec(select(AuditEntry).where(col(AuditEntry.seq) <= through)
                           .order_by(col(AuditEntry.seq))).all()
        last = old[-1]
        body = json.dumps({"verification": verify(session).as_dict(),
                           "entries": [row.model_dump() for row in old]}, indent=1, default=str)
        archive_dir.mkdir(parents=True, exist_ok=True)
        path = archive_dir / f"audit-{old[0].seq}-{last.seq}.json"
        path.write_text(body)
        # The marker goes in first, so the chain never runs empty and restarts at seq 1.
        append(session, actor=actor, action=PRUNED, subject="audit", detail={
            "through_seq": last.seq, "through_hash": last.hash, "through_mac": last.mac,
            "removed": len(old),
            "archive": path.name, "archive_sha256": hashlib.sha256(body.encode()).hexdigest()})
        session.execute(delete(AuditEntry).where(col(AuditEntry.seq) <= last.seq))
    return PruneResult(len(old), str(path))
