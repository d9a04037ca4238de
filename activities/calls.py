"""Hang up the calls of an emergency that nobody needs to answer any more.

Once someone has acknowledged (or the emergency is closed), a phone still
ringing in another responder's pocket is noise at best and a second responder
running at worst. The acknowledger's own call is left alone: it is saying
"acknowledged, goodbye" and hangs up by itself.
"""

from dataclasses import dataclass

from sqlmodel import col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from audit.chain import append as audit
from channels.base import ChannelAdapter, PermanentChannelError, TransientChannelError
from db.engine import reading, writing
from db.models import DeliveryAttempt

# Twilio call statuses after which there is nothing left to hang up.
FINISHED_CALL = ("completed", "busy", "no-answer", "failed", "canceled")


@dataclass
class EndCallsRequest:
    subject_id: str
    keep_staff_id: str | None = None  # whose call stays up (the acknowledger's)
    reason: str = ""


class CallActivities:
    def __init__(self, voice: ChannelAdapter) -> None:
        self.voice = voice

    @activity.defn(name="end_ringing_calls")
    def end_ringing_calls(self, request: EndCallsRequest) -> list[str]:
        """End every unfinished call of this emergency but the one to keep; returns the call ids."""
        end_call = getattr(self.voice, "end_call", None)
        if end_call is None:
            return []  # the outbox places no calls
        with reading() as session:
            calls = session.exec(select(DeliveryAttempt).where(
                DeliveryAttempt.subject_id == request.subject_id,
                DeliveryAttempt.channel == "voice",
                col(DeliveryAttempt.provider_message_id).is_not(None),
            )).all()
        ended = []
        for call in calls:
            if call.recipient_id == request.keep_staff_id or call.provider_status in FINISHED_CALL:
                continue
            try:
                end_call(call.provider_message_id)
            except TransientChannelError as error:
                raise ApplicationError(f"voice: {error}", type="TransientChannelError") from error
            except PermanentChannelError as error:  # e.g. the call is unknown: nothing to end
                activity.logger.warning("could not end call %s: %s", call.provider_message_id, error)
                continue
            ended.append(call.provider_message_id)
            with writing() as session:
                audit(session, actor="vigil", action="delivery.call_ended",
                      subject=request.subject_id,
                      detail={"attempt_id": call.id, "recipient_id": call.recipient_id,
                              "call_sid": call.provider_message_id, "reason": request.reason})
        return ended
