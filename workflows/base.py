"""What every Vigil workflow shares, written once: commands, late failures, status, continue-as-new.

- Accepted commands queue up as `Accepted` items; their side effects (recording,
  notifying, paging) run in the main loop in the order they were accepted.
- A provider's late failure report arrives on the `delivery_failed` signal and
  moves that person on to their next channel through the workflow's `Pager`.
- `VigilStatus` is kept current for auditors' searches.
- `continue_as_new` settles everything first (pending side effects, deliveries,
  handlers) and looks again before it switches: a command accepted while it
  waited is dealt with by the loop, never carried silently into the next run.

A workflow subclasses `PagingWorkflow`, calls `_init_paging` in its `__init__`
and implements the hooks at the bottom.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.paging import Pager
from workflows.paging_types import DELIVERY_FAILED_SIGNAL, DeliveryFailed, OpenAttempt
from workflows.search_attributes import VIGIL_STATUS

# Recording is a short database write: retry it quickly and for as long as it takes.
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200),
                           maximum_interval=timedelta(seconds=10))
RECORD_TIMEOUT = timedelta(seconds=30)


@dataclass
class Accepted:
    """A command an update accepted, whose side effects are still to run."""

    change: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


class PagingWorkflow:
    """Base of every workflow that pages people and takes commands."""

    _pager: Pager
    _changes: list[Accepted]

    def _init_paging(self, subject_id: str, carried: list[OpenAttempt] | None) -> None:
        self._pager = Pager(subject_id, carried)
        self._changes = []

    # --- commands -----------------------------------------------------------------

    def _accept(self, change: str, actor: str, detail: dict[str, Any] | None = None) -> None:
        """Queue the side effects of a command an update has just applied to the state."""
        self._changes.append(Accepted(change, actor, detail or {}))

    async def _apply_changes(self) -> None:
        """Run the side effects of every accepted command, oldest first."""
        while self._changes:
            await self._on_accepted(self._changes.pop(0))

    # --- late failures ------------------------------------------------------------

    @workflow.signal(name=DELIVERY_FAILED_SIGNAL)
    def delivery_failed(self, failed: DeliveryFailed) -> None:
        """A provider called back that a page never arrived: try that person's next channel."""
        if self._takes_late_failures():
            self._pager.fall_through(failed)

    # --- search status ------------------------------------------------------------

    def _index_status(self, status: str) -> None:
        """Keep VigilStatus current so auditors can search by it.

        Only for runs started with the attribute: a run started without it (and its
        recorded history) never issues this command, so old histories replay as before.
        """
        indexed = workflow.info().typed_search_attributes.get(VIGIL_STATUS)
        if indexed is not None and indexed != status:
            workflow.upsert_search_attributes([VIGIL_STATUS.value_set(status)])

    # --- continue-as-new ----------------------------------------------------------

    async def _continue_as_new(self) -> None:
        """Settle, then continue as new; returns instead if work was accepted meanwhile.

        Draining deliveries can take a delivery's whole retry budget, and commands
        keep arriving while it does: the caller's loop must apply them (and try
        again later) rather than lose their recording, notices and pages.
        """
        await self._apply_changes()
        if self._is_finished():
            return  # a command closed it: the loop ends this run instead
        await self._settle()
        await self._pager.drain()
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() or self._has_waiting_work())
        if self._has_waiting_work() and self._recheck_before_switch():
            return
        workflow.continue_as_new(self._next_run_input())

    # --- hooks each workflow implements ----------------------------------------------

    async def _on_accepted(self, accepted: Accepted) -> None:
        raise NotImplementedError

    def _takes_late_failures(self) -> bool:
        raise NotImplementedError

    def _is_finished(self) -> bool:
        raise NotImplementedError

    async def _settle(self) -> None:
        """Anything besides deliveries to finish before the switch (stored readings, say)."""

    def _has_waiting_work(self) -> bool:
        """Whether something arrived that this run must deal with before it may switch."""
        return bool(self._changes)

    def _recheck_before_switch(self) -> bool:
        """Whether to look again before switching; a workflow whose older histories did
        not look answers through `workflow.patched`, so they replay as recorded."""
        return True

    def _next_run_input(self) -> Any:
        raise NotImplementedError
