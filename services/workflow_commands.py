"""Send a command to a running workflow and answer its refusal in the API's terms."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from services.errors import VigilError
from workflows.refusals import refusal_named


async def send_update(*, client: Client, workflow_id: str, update: Any, arg: Any,
                      when_gone: VigilError) -> Any:
    """Execute a validated update; a refusal becomes the VigilError its kind names."""
    try:
        return await client.get_workflow_handle(workflow_id).execute_update(update, arg)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        kind = refusal_named(cause.type) if isinstance(cause, ApplicationError) else None
        if kind is not None:
            assert isinstance(cause, ApplicationError)
            details = cause.details[0] if cause.details else None
            raise VigilError(kind.status, kind.code, cause.message, details)
        raise VigilError(409, "command_refused", str(cause or error))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise when_gone
        raise VigilError(503, "temporal_unavailable", f"The workflow engine did not answer: {error}")
