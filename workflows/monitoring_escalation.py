"""How a monitoring session escalates: an unanswered care-team page goes to SMS and the charge
nurse, and a critical finding starts a child EmergencyEscalationWorkflow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

from clinical.vitals import Reading
from workflows.base import RECORD_RETRY
from workflows.emergency_types import EmergencyInput
from workflows.monitoring_types import AlarmChange, SessionInput, SessionState
from workflows.search_attributes import for_start

with workflow.unsafe.imports_passed_through():
    from activities.directory import DirectoryActivities, TargetQuery
    from activities.monitoring_emergency import EmergencyPlanRequest, MonitoringEmergencyActivities


class SessionEscalation:
    """Mixed into MonitoringSessionWorkflow, which holds the state these read and change."""

    _input: SessionInput
    _state: SessionState
    _alarm_log: list[AlarmChange]
    _critical: tuple[list[str], Reading] | None
    _send: Callable[..., None]
    _record: Callable[..., Awaitable[None]]

    async def _escalate_unacknowledged(self) -> None:
        """A medium page nobody acknowledged goes by SMS to the care team and the charge nurse."""
        s, data, now = self._state, self._input, workflow.now()
        due = sorted(key for key, at in s.escalations.items() if at <= now.timestamp())
        for key in due:
            del s.escalations[key]
        alarms = [s.alarms.alarms[k] for k in due if k in s.alarms.alarms
                  and s.alarms.alarms[k].active and s.alarms.alarms[k].priority == "medium"]
        if not alarms:
            return
        nurses = await workflow.execute_local_activity_method(
            DirectoryActivities.resolve_targets,
            TargetQuery(selector="charge_nurse", facility_id=data.facility_id),
            start_to_close_timeout=timedelta(seconds=10))
        reason = f"not acknowledged within {data.timing.care_team_escalation_s:g} s"
        for alarm in alarms:
            self._alarm_log.append(AlarmChange("unacknowledged", alarm.key, alarm.priority, now,
                                               [reason, *alarm.reasons]))
        self._send([*data.care_team, *(n.staff_id for n in nurses)], ["sms"],
                   "alarm_unacknowledged", "medium", [a.key for a in alarms], [reason])

    async def _start_emergency(self) -> None:
        """A critical finding starts the spine's emergency escalation as a child workflow."""
        if self._critical is None:
            return
        (reasons, reading), self._critical = self._critical, None
        s, data = self._state, self._input
        key = f"{data.session_id}-e{len(s.emergencies) + 1}"
        try:
            plan = await workflow.execute_activity_method(
                MonitoringEmergencyActivities.plan_emergency,
                EmergencyPlanRequest(key, "critical", s.emergencies[-1] if s.emergencies else None),
                start_to_close_timeout=timedelta(seconds=30), retry_policy=RECORD_RETRY)
        except ActivityError as error:  # no critical policy: the care team page stands alone
            workflow.logger.error("could not plan an emergency: %s", error.cause or error)
            await self._record("emergency_failed", "vigil", {"reasons": reasons,
                                                             "error": str(error.cause or error)})
            return
        if plan.already_open:
            await self._record("emergency_joined", "vigil",
                               {"emergency_id": plan.emergency_id, "reasons": reasons})
            return
        assert plan.policy is not None
        vitals = {k: v for k, v in asdict(reading.vitals).items() if v is not None}
        child = EmergencyInput(
            emergency_id=plan.emergency_id, idempotency_key=key, type="other",
            type_detail="Deterioration on monitoring", severity="critical",
            patient_id=data.patient_id, facility_id=data.facility_id, location=data.location,
            short_code=plan.short_code, policy=plan.policy, created_by=data.created_by,
            description="; ".join(reasons), vitals=vitals)
        try:
            await workflow.start_child_workflow(
                "EmergencyEscalationWorkflow", child, id=plan.emergency_id,
                task_queue=data.emergency_task_queue,
                # The emergency outlives this run (continue-as-new) and the session's end.
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=for_start(kind="emergency", patient_id=data.patient_id,
                                            facility_id=data.facility_id, severity="critical"))
        except WorkflowAlreadyStartedError:
            pass  # started before a crash; the same key is the same emergency
        s.emergencies.append(plan.emergency_id)
        await self._record("emergency_started", "vigil",
                           {"emergency_id": plan.emergency_id, "reasons": reasons})

    # --- bookkeeping ----------------------------------------------------------------------
