"""FHIR R4 readings for a monitoring session: limits, then the patient, then parsing.

Everything here is synchronous and CPU-bound (JSON and fhir.resources parsing of
up to `VIGIL_MAX_BODY_BYTES`); the API runs it in a worker thread, never on the
event loop, so one large Bundle cannot stop the API answering anyone else. The
cheap checks come first, on the raw JSON, so an oversized or foreign payload is
refused before any expensive work.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from clinical.fhir import check_subjects, count_entries, readings_from_fhir
from clinical.vitals import Reading, ReadingError
from db.models import MonitoringSession
from services.errors import VigilError
from services.schemas.monitoring import MAX_READINGS_PER_REQUEST
from settings import get_settings


def _rejected(field: str, message: str) -> VigilError:
    return VigilError(422, "invalid_reading", f"{field}: {message}",
                      {"field": field, "message": message})


def _too_many(code: str, what: str, count: int, limit: int) -> VigilError:
    message = f"{count} {what}; at most {limit} in one request (send several)"
    return VigilError(422, code, f"entry: {message}",
                      {"field": "entry", "message": message, "limit": limit})


def readings_from_fhir_body(body: bytes, row: MonitoringSession) -> list[Reading]:
    """An Observation or Bundle as sent: bounded, about this patient, parsed and validated."""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise VigilError(422, "invalid_json", f"body: not JSON ({error})",
                         {"field": "body", "message": str(error)})
    entries, observations = count_entries(payload)
    if observations > MAX_READINGS_PER_REQUEST:
        raise _too_many("too_many_readings", "Observations", observations,
                        MAX_READINGS_PER_REQUEST)
    limit = get_settings().fhir_max_entries
    if entries > limit:
        raise _too_many("too_many_entries", "Bundle entries", entries, limit)
    try:
        check_subjects(payload, row.patient_id)
        devices = {d["id"] for d in row.devices}
        return readings_from_fhir(payload, datetime.now(timezone.utc), devices)
    except ReadingError as error:
        raise _rejected(error.field, error.message)
