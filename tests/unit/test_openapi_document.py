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
