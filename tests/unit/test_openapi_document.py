"""The OpenAPI document describes the answers Vigil really gives (found by schemathesis)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs  # schemathesis's own validator

from api.main import create_app
from services.schemas.people import PatientPreferences, QuietHours


def _local_refs(node: Any) -> Any:
    """The document's `#/components/schemas/X` references as `#/$defs/X`."""
    if isinstance(node, dict):
        return {k: v.replace("#/components/schemas/", "#/$defs/") if k == "$ref"
                else _local_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


def test_a_patients_quiet_hours_answer_is_valid_under_the_documented_schema() -> None:
    schemas = create_app().openapi()["components"]["schemas"]
    schema = _local_refs({**schemas["PatientPreferences"], "$defs": schemas})
    answer = PatientPreferences(quiet_hours=QuietHours(start="22:00", end="07:00"))
    # Local wall-clock times carry no offset; RFC 3339's "time" format demands one.
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    errors = [e.message for e in validator.iter_errors(answer.model_dump(mode="json"))]
    assert errors == []


async def test_the_document_is_built_off_the_event_loop() -> None:
    """Its first build is about a second of CPU that every live stream would wait behind."""
    import threading

    import httpx

    app = create_app()
    built_on: list[int] = []
    build = app.openapi

    def recording_build() -> dict[str, Any]:
        built_on.append(threading.get_ident())
        return build()

    app.openapi = recording_build  # type: ignore[method-assign]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://vigil") as http:
        answer = await http.get("/openapi.json")
    assert answer.status_code == 200 and "/api/v1/emergencies" in answer.json()["paths"]
    assert built_on and threading.get_ident() not in built_on
