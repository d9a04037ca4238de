"""EmergencyEscalationWorkflow: page tier by tier until someone takes the emergency.

The escalation position (round, tier, when the tier was paged, which channel
groups have gone out) lives in `EmergencyState`, so the loop resumes exactly
where it was after a crash, a replay or a continue-as-new. Commands arrive as
validated updates; their side effects (recording, notifying) run in the main
loop, in the order they were accepted.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.emergency_types import (
    CLOSED,
    EmergencyInput,
    EmergencyState,
    Target,
)
from workflows.base import RECORD_RETRY, RECORD_TIMEOUT, Accepted, PagingWorkflow
from workflows.emergency_commands import EmergencyCommands
from workflows.paging import Recorded
from workflows.policy import CHANNELS

with workflow.unsafe.imports_passed_through():
    from activities.calls import CallActivities, EndCallsRequest
    from activities.directory import DirectoryActivities, tier_query
    from activities.emergency_records import EmergencyRecordActivities, StateChange

NOTICE_CHANNELS = ["websocket", "push"]
HANDOVER_CHANNELS = ["websocket", "push", "sms"]
# A channel step this much past its moment (a worker or server outage) is recorded as late.
LATE_AFTER_S = 1.0
# The workflow.patched id of recording a tier's page with its own-channel batch.
CHANGES_WITH_PAGES = "record-changes-with-pages"
# The workflow.patched id of writing a tier's own-channel page inside the deciding task.
PAGES_IN_TASK = "tier-pages-in-task"
# The workflow.patched id of recording an escalation with the next tier's page.
ESCALATED_WITH_PAGE = "escalated-with-next-page"


@workflow.defn
class EmergencyEscalationWorkflow(EmergencyCommands, PagingWorkflow):
    @workflow.init
    def __init__(self, input: EmergencyInput) -> None:
        self._input = input
        self._state = input.carried or EmergencyState()
        self._init_paging(input.emergency_id, input.carried_attempts)
        # Asked before any command, as the pager asks its own (see Pager.__init__).
        self._changes_with_pages = workflow.patched(CHANGES_WITH_PAGES)
        self._pages_in_task = workflow.patched(PAGES_IN_TASK)
        self._escalated_with_page = workflow.patched(ESCALATED_WITH_PAGE)
        # The first record carries the input; it waits until tier 1 is paged, so
        # that nothing stands between the emergency and the first page.
        self._started_recorded = input.carried is not None
        # Records waiting to go with the next record: an escalation waits for the next tier's
        # page, so that nothing stands between a tier's timeout and that page either.
        self._held: list[StateChange] = []

    @workflow.run
    async def run(self, input: EmergencyInput) -> EmergencyState:
        while self._state.status not in CLOSED:
            await self._apply_changes()
            if self._state.status == "active":
                await self._escalation_step()
            elif not self._changes and self._state.status not in CLOSED:
                # (A command applied just now may have closed it: then there is nothing to await.)
                await workflow.wait_condition(lambda: bool(self._changes))
            if self._history_is_long() and self._state.status not in CLOSED:
                await self._continue_as_new()  # returns if commands arrived meanwhile
        await self._apply_changes()
        await self._write_held()
        await self._pager.drain()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query
    def state(self) -> EmergencyState:
        return self._state

    # --- escalation -------------------------------------------------------

    async def _escalation_step(self) -> None:
        """Page the tier (its first channel group), then wait for its next moment.

        What happens when a wait ends is decided by which moment it was waiting for,
        never by reading the clock: a channel step whose moment passed during an outage
        still goes out (late, and recorded so) before the tier's timeout moves on.
        """
        s, policy = self._state, self._input.policy
        tier = policy.tiers[s.tier]
        groups = policy.channel_groups()
        if s.tier_started_at is None:
            # Read the clock before the lookup: after a local activity in the same workflow
            # task the clock a replay sees is not the one the first run saw.
            paged_at = workflow.now().timestamp()
            s.targets = await self._find_tier(tier.targets)
            if s.status != "active" or self._changes:
                return  # acknowledged (or otherwise commanded) while we looked people up
            s.tier_started_at, s.steps_sent = paged_at, 0
            if not s.targets:
                await self._advance(f"nobody to page in tier '{tier.name}'")
                return
            while s.steps_sent < len(groups) and groups[s.steps_sent][0] <= 0:
                await self._send_step(groups)
        step_due = s.steps_sent < len(groups) and groups[s.steps_sent][0] < tier.ack_timeout_s
        due_s = groups[s.steps_sent][0] if step_due else tier.ack_timeout_s
        left = s.tier_started_at + due_s - workflow.now().timestamp()
        if left > 0:
            try:
                await workflow.wait_condition(lambda: bool(self._changes),
                                              timeout=timedelta(seconds=left))
                return  # a command arrived: the loop applies it, then comes back here
            except TimeoutError:
                pass
        overdue = workflow.now().timestamp() - s.tier_started_at >= tier.ack_timeout_s
        if step_due and not (overdue and not workflow.patched("send-late-step-before-advancing")):
            await self._send_step(groups)
        else:  # (runs recorded before the fix skipped a step whose tier had also timed out)
            await self._advance(f"no acknowledgement within {tier.ack_timeout_s:g} s")

    async def _send_step(self, groups: list[tuple[float, list[str]]]) -> None:
        """Send the tier's next channel group and record it, saying so if it went out late."""
        s, tier = self._state, self._input.policy.tiers[self._state.tier]
        after_s, channels = groups[s.steps_sent]
        assert s.tier_started_at is not None
        late_by = workflow.now().timestamp() - (s.tier_started_at + after_s)
        for target in s.targets:
            s.paged[target.staff_id] = target.name
        s.steps_sent += 1
        detail: dict[str, Any] = {"tier_name": tier.name, "channels": channels,
                                  "targets": [t.staff_id for t in s.targets]}
        if late_by > LATE_AFTER_S:
            detail.update(late=True, late_by_s=round(late_by, 3), due_after_s=after_s)
        if not self._changes_with_pages:  # (runs recorded before: a record activity of its own)
            self._page_tier(channels)
            await self._record("tier_paged", detail=detail)
            return
        changes = self._to_record("tier_paged", detail=detail)
        # Recorded by our own channels' batch: one activity fewer per step. Otherwise (no
        # such batch, or it failed), by record activities as before.
        batch = await self._page_tier(channels, changes)
        if batch is None:
            for change in changes:
                await self._write(change)
        elif batch.written_before is not None and self._pages_in_task:
            # This task ran before and wrote the page, but its completion was lost (the worker
            # or Temporal died): the tier's clock runs from that write, so a step that fell
            # due since goes out now, marked late, and the tier does not wait the outage out.
            s.tier_started_at = min(s.tier_started_at, batch.written_before - after_s)

    async def _advance(self, reason: str, actor: str = "vigil") -> None:
        """Move to the next tier, the next round, or, when the policy is spent, exhaustion."""
        s, policy = self._state, self._input.policy
        s.tier, s.tier_started_at, s.steps_sent, s.targets = s.tier + 1, None, 0, []
        if s.tier >= len(policy.tiers):
            s.tier, s.round = 0, s.round + 1
        if s.round > policy.repeat_count:
            s.status, s.tier = "unacknowledged", len(policy.tiers) - 1
            await self._record("unacknowledged", actor, {"reason": reason})
            await self._page_extra("all_admins", list(CHANNELS))
            return
        escalated = self._to_record("escalated", actor, {
            "reason": reason, "to_tier": s.tier, "tier_name": policy.tiers[s.tier].name})
        if self._escalated_with_page:
            self._held = escalated  # recorded with the next tier's page, or the next record
            return
        for change in escalated:
            await self._write(change)

    def _page_tier(self, channels: list[str],
                   changes: list[StateChange] | None = None) -> Recorded:
        s = self._state
        return self._pager.page(
            people=[t.staff_id for t in s.targets], channels=channels, kind="page",
            content=self._content(), scope=f"r{s.round}t{s.tier}",
            fallback=self._input.policy.fallback_order(), tier=s.tier, round=s.round,
            # (the step awaits its page, so no other local activity can be in flight)
            changes=changes, in_task=self._pages_in_task)

    async def _page_extra(self, selector: str, channels: list[str]) -> None:
        """Page outside the tier clock: exhaustion, or escalate-now after acknowledgement."""
        s = self._state
        targets = await self._find(selector)
        s.extra_pages += 1
        for target in targets:
            s.paged[target.staff_id] = target.name
        self._pager.page(people=[t.staff_id for t in targets], channels=channels, kind="page",
                         content=self._content(), scope=f"x{s.extra_pages}", tier=s.tier,
                         round=s.round, fallback=self._input.policy.fallback_order())
        await self._record("extra_page", detail={"selector": selector, "channels": channels,
                                                 "targets": [t.staff_id for t in targets]})

    async def _find(self, selector: str) -> list[Target]:
        return await workflow.execute_local_activity_method(
            DirectoryActivities.resolve_targets, tier_query(self._input, selector),
            start_to_close_timeout=timedelta(seconds=10),
        )

    async def _find_tier(self, selector: str) -> list[Target]:
        """Who the tier pages: for the very first tier, whom the API found as it started the
        emergency (in the input, so in the history), saving the first page a lookup."""
        s, found = self._state, self._input.first_tier_targets
        if found is not None and (s.round, s.tier) == (0, 0) and self._input.carried is None:
            return found
        return await self._find(selector)

    # --- side effects of accepted commands ---------------------------------------

    async def _on_accepted(self, accepted: Accepted) -> None:
        change, actor, detail, s = accepted.change, accepted.actor, accepted.detail, self._state
        if change == "acknowledged":
            await self._record(change, actor, detail)
            self._notify_others("ack_notice", exclude=s.owner_id)
            # Whoever pressed 1 is hearing their confirmation; every other call is noise now.
            keep = s.owner_id if detail.get("via") == "voice" else None
            await self._end_calls(keep=keep, reason=f"acknowledged by {s.owner_name}")
        elif change in CLOSED:
            await self._record(change, actor, detail)
            self._notify_others("stand_down", exclude=actor)
            await self._end_calls(keep=None, reason=change)
        elif change == "handed_over":
            await self._record(change, actor, detail)
            s.extra_pages += 1
            self._pager.page(people=[detail["to"]], channels=HANDOVER_CHANNELS,
                             kind="handover", content=self._content(),
                             scope=f"h{s.handovers}", tier=s.tier, round=s.round)
        elif change == "escalate_requested":
            reason = detail.get("reason") or "escalated by hand"
            if s.status == "active":
                await self._advance(reason, actor)
            else:
                tiers = self._input.policy.tiers
                s.tier = min(s.tier + 1, len(tiers) - 1)
                await self._record("escalated", actor, {"reason": reason, "to_tier": s.tier,
                                                        "tier_name": tiers[s.tier].name})
                await self._page_extra(tiers[s.tier].targets,
                                       self._input.policy.channel_groups()[0][1])

    async def _end_calls(self, keep: str | None, reason: str) -> None:
        """Hang up calls still ringing for others. Patched: older histories never did this."""
        if not self._pager.has_used("voice") or not workflow.patched("end-ringing-calls"):
            return
        try:
            await workflow.execute_activity_method(
                CallActivities.end_ringing_calls,
                EndCallsRequest(self._input.emergency_id, keep_staff_id=keep, reason=reason),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=5),
            )
        except ActivityError as error:  # a call left ringing is noise, not a reason to stop
            workflow.logger.warning("could not end ringing calls: %s", error)

    def _notify_others(self, kind: str, exclude: str | None) -> None:
        s = self._state
        others = [staff_id for staff_id in s.paged if staff_id != exclude]
        s.extra_pages += 1
        self._pager.page(people=others, channels=NOTICE_CHANNELS, kind=kind,
                         content=self._content(), scope=f"n{s.extra_pages}",
                         tier=s.tier, round=s.round)

    def _content(self) -> dict[str, Any]:
        data, s = self._input, self._state
        return {
            "emergency_id": data.emergency_id, "type": data.type, "type_detail": data.type_detail,
            "severity": data.severity, "short_code": data.short_code, "location": data.location,
            "description": data.description, "patient_id": data.patient_id,
            "facility_id": data.facility_id, "status": s.status, "owner_name": s.owner_name,
            "tier": s.tier, "round": s.round,
        }

    async def _record(self, change: str, actor: str = "vigil",
                      detail: dict[str, Any] | None = None) -> None:
        for state_change in self._to_record(change, actor, detail):
            await self._write(state_change)

    def _to_record(self, change: str, actor: str = "vigil",
                   detail: dict[str, Any] | None = None) -> list[StateChange]:
        """`change`, with the state as it is now; the first time after "started", which
        carries the input (it waits until tier 1 is paged: see __init__); after any record
        held until now (an escalation waiting for the next tier's page)."""
        data = self._input
        self._index_status(self._state.status)
        changes, self._held = self._held, []
        if not self._started_recorded:
            self._started_recorded = True
            changes.append(self._state_change("started", data.created_by, {
                "severity": data.severity, "type": data.type, "policy": asdict(data.policy)},
                with_input=True))
        return [*changes, self._state_change(change, actor, detail)]

    def _state_change(self, change: str, actor: str, detail: dict[str, Any] | None,
                      with_input: bool = False) -> StateChange:
        data = self._input
        return StateChange(emergency_id=data.emergency_id, patient_id=data.patient_id,
                           change=change, actor=actor, state=copy.deepcopy(self._state),
                           detail=detail or {},
                           input=(replace(data, carried=None, carried_attempts=[])
                                  if with_input else None))

    async def _write_held(self) -> None:
        """Write the records held for the next one now (before a run ends or continues)."""
        held, self._held = self._held, []
        for change in held:
            await self._write(change)

    async def _settle(self) -> None:
        await self._write_held()

    async def _write(self, change: StateChange) -> None:
        await workflow.execute_activity_method(
            EmergencyRecordActivities.record_change, change,
            start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY,
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() > self._input.history_limit)

    # --- what the shared machinery asks of this workflow -------------------------

    def _takes_late_failures(self) -> bool:
        return self._state.status in ("active", "unacknowledged")

    def _is_finished(self) -> bool:
        return self._state.status in CLOSED

    def _recheck_before_switch(self) -> bool:
        # Runs recorded before this looked again switched regardless (and lost the command).
        return workflow.patched("recheck-before-continue-as-new")

    def _next_run_input(self) -> EmergencyInput:
        return replace(self._input, carried=self._state, first_tier_targets=None,
                       carried_attempts=self._pager.open_attempts())
