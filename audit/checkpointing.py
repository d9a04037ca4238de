"""Taking checkpoints: on demand, with every export, and periodically in each API process.

A checkpoint is taken only of a chain that verifies, so the store never
vouches for a log already tampered with; and only when the head has moved
since the newest one, so an idle system adds no files.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import col, select

from audit.chain import verify
from audit.checkpoints import Checkpoint, CheckpointStore
from audit.keys import audit_key
from audit.report import ChainReport
from db.engine import reading
from db.models import AuditEntry

log = logging.getLogger(__name__)


def take_checkpoint(store: CheckpointStore | None = None) -> tuple[ChainReport, Checkpoint | None]:
    """Verify the chain and, if it verifies, sign its head into the store.

    Returns the verification and the checkpoint that now vouches for the head
    (None when the log is empty or does not verify); the report names it.
    """
    store, key = store or CheckpointStore(), audit_key()
    with reading() as session:
        report = verify(session, key=key, store=store)
        if not report.ok or not report.entries:
            return report, None
        if report.checkpoint and report.checkpoint["head"] == report.head:
            return report, Checkpoint.from_dict(report.checkpoint)  # nothing appended since
        # By its hash, not "the newest row": entries appended since the walk are not verified.
        head = session.exec(select(AuditEntry).where(AuditEntry.hash == report.head)
                            .order_by(col(AuditEntry.seq).desc()).limit(1)).one()
        checkpoint = Checkpoint.signed(key, seq=head.seq, head=head.hash, mac=head.mac)
    store.write(checkpoint)
    report.checkpoint = checkpoint.as_dict()
    return report, checkpoint


async def checkpoint_periodically(interval_s: float) -> None:
    """Take a checkpoint now and every `interval_s` until cancelled; failures are logged."""
    while True:
        try:
            report, _ = await asyncio.to_thread(take_checkpoint)
            if not report.ok:
                log.error("audit chain does not verify, no checkpoint taken: %s",
                          report.as_dict())
        except Exception:
            log.exception("audit checkpoint failed")
        await asyncio.sleep(interval_s)
