"""The idle mark: how the writer of an outbox row knows that it must wake the endpoint's workflow.

An endpoint's `WebhookDeliveryWorkflow` that finds its outbox empty waits for a
`wake` signal (with a long poll as a safety net). Signalling on every event
would cost a signal per event under load; instead the endpoint row carries a
mark, `WebhookEndpoint.idle`, and only the writer that clears it signals: one
signal per idle period, none while the endpoint is busy.

Reader, `settle` (the workflow's `next_deliveries`), in ONE write transaction:
mark the endpoint idle, THEN read its pending rows, and clear the mark again if
there are any. Writer, `owed` (`queue` in activities/webhook_events.py): note in
the session which endpoints got new rows; just before that transaction commits
(after its last flush), `claim` locks those endpoints' rows and clears the mark
of those that are idle; once the transaction has committed, their workflows are
signalled (activities/webhook_wake.py). A transaction that rolls back signals
nothing.

Why a committed row is never left waiting for the poll: the writer's claim and
commit, and the reader's mark and read, cannot interleave.
- SQLite: every write transaction begins IMMEDIATE, so the two run one after
  the other, whole. Writer first: the reader's read sees the row. Reader first:
  the writer finds the mark (still set, as the read found nothing) and claims it.
- PostgreSQL (READ COMMITTED): the mark is an UPDATE of the endpoint row, and
  the claim locks that row (FOR NO KEY UPDATE) until the writer commits. Claim
  first: the reader's mark waits for the writer's commit, and the read, a later
  statement, sees the row. Mark first: the claim waits for the reader's commit,
  then sees the mark as committed. (A bare `UPDATE ... WHERE idle RETURNING`
  would not do here: matching nothing, it locks nothing, and a reader could
  mark and read between it and the writer's commit, then wait with nobody to
  wake it.) Claiming last keeps the lock for the commit only, and a claim takes
  its locks in id order and waits on nothing after them, so it adds no deadlock.

The signal goes after the commit, so a worker that dies between the two leaves
the mark cleared and the workflow waiting: the next worker to start wakes every
enabled endpoint with rows pending (`with_rows_pending`, called by worker.py), a
needless wake costing a busy endpoint one read. A signal that fails while its
worker lives is only logged: the poll (VIGIL_WEBHOOK_POLL_INTERVAL_S) finds the
row. A mark left set while the workflow is busy (it was woken by its poll, or by
a service's `wake`) costs at most one needless signal; its next read clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from sqlalchemy import event, update
from sqlmodel import Session, col, select

from activities import webhook_wake
from db.engine import reading
from db.models import WebhookDelivery, WebhookEndpoint

Row = TypeVar("Row")

# session.info keys: endpoints that got new rows in this transaction; those whose idle mark
# it cleared; whether the session's commit hooks are in place.
_OWED, _CLAIMED, _HOOKED = "webhook_owed", "webhook_claimed", "webhook_hooked"
WOKEN = "webhook_woken"  # session.info, once committed: the endpoints whose workflows it woke


def settle(session: Session, endpoint_id: str,
           read: Callable[[], Sequence[Row]]) -> Sequence[Row]:
    """The reader's side, in a write transaction: mark the endpoint idle, then `read` its
    pending rows; found any, and the mark is cleared again. Returns what `read` returned."""
    _set_idle(session, [endpoint_id], True)
    rows = read()
    if rows:
        _set_idle(session, [endpoint_id], False)
    return rows


def owed(session: Session, endpoint_ids: Iterable[str]) -> None:
    """The writer's side: these endpoints got new rows in the session's transaction. Idle ones
    are claimed as it commits and woken once it has committed."""
    ids = session.info.setdefault(_OWED, set())
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        event.listen(session, "before_commit", _claim_before_commit)
        event.listen(session, "after_commit", _wake_after_commit)
        event.listen(session, "after_rollback", _forget)
    ids.update(endpoint_ids)


def with_rows_pending() -> list[str]:
    """Ids of the enabled endpoints with events waiting to be sent: a new worker wakes them, in
    case the worker before it died owing one of them its wake."""
    with reading() as session:
        return list(session.exec(
            select(WebhookEndpoint.id)
            .where(col(WebhookEndpoint.enabled).is_(True),
                   col(WebhookEndpoint.id).in_(select(WebhookDelivery.endpoint_id).where(
                       WebhookDelivery.status == "pending")))
            .order_by(col(WebhookEndpoint.id))).all())


def claim(session: Session, endpoint_ids: Iterable[str]) -> list[str]:
    """Clear the idle mark of those of these endpoints that have it; their ids. Their rows stay
    locked until the transaction ends (see the module docstring: why a lock, not only the
    conditional update)."""
    ids = sorted(set(endpoint_ids))
    if not ids:
        return []
    marks = session.exec(select(WebhookEndpoint.id, WebhookEndpoint.idle)
                         .where(col(WebhookEndpoint.id).in_(ids))
                         .order_by(col(WebhookEndpoint.id))
                         .with_for_update(key_share=True)).all()
    claimed = [endpoint_id for endpoint_id, idle in marks if idle]
    _set_idle(session, claimed, False)
    return claimed


def _set_idle(session: Session, endpoint_ids: list[str], idle: bool) -> None:
    if endpoint_ids:
        session.execute(update(WebhookEndpoint)
                        .where(col(WebhookEndpoint.id).in_(endpoint_ids))
                        .values(idle=idle)
                        .execution_options(synchronize_session=False))


def _claim_before_commit(session: Session) -> None:
    ids = session.info.pop(_OWED, None)
    if ids:
        session.flush()  # everything else first: the claim is the transaction's last statement
        session.info[_CLAIMED] = claim(session, ids)


def _wake_after_commit(session: Session) -> None:
    claimed = session.info[WOKEN] = session.info.pop(_CLAIMED, [])
    if claimed:
        webhook_wake.wake(claimed)


def _forget(session: Session) -> None:
    session.info.pop(_OWED, None)
    session.info.pop(_CLAIMED, None)
