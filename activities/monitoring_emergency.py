"""Prepare the child emergency a critical monitoring finding starts.

The emergency is raised exactly as the API raises one: the stored default
policy for its severity is snapshotted into its input, its id comes from its
idempotency key, and it gets a short code no open emergency is using.
"""

from dataclasses import dataclass

from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.emergency_plans import short_code, snapshot, workflow_id_for
from db.engine import reading
from db.models import Emergency, EscalationPolicy
from workflows.emergency_types import OPEN
from workflows.policy import PolicySnapshot


@dataclass
class EmergencyPlanRequest:
    idempotency_key: str
    severity: str = "critical"
    # The session's latest emergency: while it is still open, a new critical
    # finding joins it instead of paging the responders a second time.
    open_emergency_id: str | None = None


@dataclass
class EmergencyPlan:
    emergency_id: str
    short_code: str = ""
    policy: PolicySnapshot | None = None
    already_open: bool = False


class MonitoringEmergencyActivities:
    @activity.defn(name="plan_monitoring_emergency")
    def plan_emergency(self, request: EmergencyPlanRequest) -> EmergencyPlan:
        """The id, short code and policy snapshot for a new child emergency."""
        with reading() as session:
            if request.open_emergency_id:
                current = session.get(Emergency, request.open_emergency_id)
                if current is None or current.status in OPEN:  # None: not projected yet
                    return EmergencyPlan(request.open_emergency_id, already_open=True)
            policy = session.exec(select(EscalationPolicy)
                                  .where(EscalationPolicy.severity == request.severity)).first()
        if policy is None:
            # Retrying will not create a policy; the workflow pages the care team regardless.
            raise ApplicationError(f"No default escalation policy for {request.severity!r}",
                                   type="NoDefaultPolicy", non_retryable=True)
        return EmergencyPlan(workflow_id_for(request.idempotency_key), short_code(),
                             snapshot(policy))
