"""The validated updates of EmergencyEscalationWorkflow: acknowledge, resolve, cancel, hand
over, escalate now.

Each validator refuses (workflows/refusals.py) before anything reaches the
history; each handler checks again (two updates may pass validation together),
applies the change to the state and queues its recording with `_accept`, whose
side effects the workflow's main loop runs in the order they were accepted.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.emergency_types import (
    CLOSED,
    AcknowledgeInput,
    AcknowledgeResult,
    Actor,
    CancelInput,
    CommandResult,
    EmergencyInput,
    EmergencyState,
    EscalateInput,
    HandOverInput,
    ResolveInput,
)
from workflows.refusals import Refusal, refuse


class EmergencyCommands:
    """Mixed into EmergencyEscalationWorkflow, before PagingWorkflow (which supplies `_accept`)."""

    _state: EmergencyState
    _input: EmergencyInput

    def _check_open(self) -> None:
        if self._state.status in CLOSED:
            raise refuse(Refusal.EmergencyClosed, f"This emergency is already {self._state.status}.")

    def _check_paged(self, actor: Actor) -> None:
        if not actor.is_admin and actor.staff_id not in self._state.paged:
            raise refuse(Refusal.NotPaged,
                         "Only staff who were paged for this emergency, or an admin, may do this.")

    def _check_can_acknowledge(self, cmd: AcknowledgeInput) -> None:
        self._check_open()
        s = self._state
        if s.status == "acknowledged":
            raise refuse(Refusal.AlreadyAcknowledged, f"Already acknowledged by {s.owner_name}.",
                         owner_id=s.owner_id, owner_name=s.owner_name)
        self._check_paged(cmd.actor)

    @workflow.update
    def acknowledge(self, cmd: AcknowledgeInput) -> AcknowledgeResult:
        """The first acknowledgement wins; everyone after it is told who has it."""
        self._check_can_acknowledge(cmd)  # again: two updates may pass validation together
        s = self._state
        s.status, s.owner_id, s.owner_name = "acknowledged", cmd.actor.staff_id, cmd.actor.name
        s.acknowledged_at, s.acknowledged_via = workflow.now().timestamp(), cmd.via
        self._accept("acknowledged", cmd.actor.staff_id, {"via": cmd.via})
        return AcknowledgeResult(s.owner_id, s.owner_name, s.acknowledged_at)

    @acknowledge.validator
    def _validate_acknowledge(self, cmd: AcknowledgeInput) -> None:
        self._check_can_acknowledge(cmd)

    def _check_resolve(self, cmd: ResolveInput) -> None:
        self._check_open()
        if self._state.status != "acknowledged" and not cmd.actor.is_admin:
            raise refuse(Refusal.NotAcknowledged, "Acknowledge the emergency before resolving it.")
        self._check_paged(cmd.actor)

    @workflow.update
    def resolve(self, cmd: ResolveInput) -> CommandResult:
        """Close the emergency with its clinical outcome."""
        self._check_resolve(cmd)
        self._state.status, self._state.outcome = "resolved", cmd.outcome
        self._accept("resolved", cmd.actor.staff_id, {"outcome": cmd.outcome})
        return self._result()

    @resolve.validator
    def _validate_resolve(self, cmd: ResolveInput) -> None:
        self._check_resolve(cmd)

    def _check_cancel(self, cmd: CancelInput) -> None:
        self._check_open()
        if cmd.actor.staff_id != self._input.created_by:
            self._check_paged(cmd.actor)

    @workflow.update
    def cancel(self, cmd: CancelInput) -> CommandResult:
        """A false alarm: stop everything and stand everyone down."""
        self._check_cancel(cmd)
        self._state.status, self._state.cancel_reason = "cancelled", cmd.reason
        self._accept("cancelled", cmd.actor.staff_id, {"reason": cmd.reason})
        return self._result()

    @cancel.validator
    def _validate_cancel(self, cmd: CancelInput) -> None:
        self._check_cancel(cmd)

    def _check_hand_over(self, cmd: HandOverInput) -> None:
        self._check_open()
        s = self._state
        if s.status != "acknowledged":
            raise refuse(Refusal.NotAcknowledged, "Only an acknowledged emergency can be handed over.")
        if cmd.actor.staff_id != s.owner_id and not cmd.actor.is_admin:
            raise refuse(Refusal.NotOwner,
                         f"Only {s.owner_name}, who has it, or an admin can hand it over.")
        if cmd.to_staff_id == s.owner_id:
            raise refuse(Refusal.InvalidHandover, f"{cmd.to_name} already has this emergency.")

    @workflow.update
    def hand_over(self, cmd: HandOverInput) -> CommandResult:
        """Give the emergency to a named colleague, who is paged with it."""
        self._check_hand_over(cmd)
        s = self._state
        previous = s.owner_id
        s.owner_id, s.owner_name, s.handovers = cmd.to_staff_id, cmd.to_name, s.handovers + 1
        s.paged[cmd.to_staff_id] = cmd.to_name
        self._accept("handed_over", cmd.actor.staff_id,
                     {"from": previous, "to": cmd.to_staff_id, "note": cmd.note})
        return self._result()

    @hand_over.validator
    def _validate_hand_over(self, cmd: HandOverInput) -> None:
        self._check_hand_over(cmd)

    def _check_escalate(self, cmd: EscalateInput) -> None:
        self._check_open()
        self._check_paged(cmd.actor)

    @workflow.update
    def escalate_now(self, cmd: EscalateInput) -> CommandResult:
        """Page the next tier now instead of waiting for the timer."""
        self._check_escalate(cmd)
        self._accept("escalate_requested", cmd.actor.staff_id, {"reason": cmd.reason})
        return self._result()

    @escalate_now.validator
    def _validate_escalate_now(self, cmd: EscalateInput) -> None:
        self._check_escalate(cmd)

    def _result(self) -> CommandResult:
        s = self._state
        return CommandResult(s.status, s.owner_id, s.owner_name)
