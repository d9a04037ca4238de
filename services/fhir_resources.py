"""What every FHIR intake shares: one refusal shape and one way to parse a resource.

A refusal is a 422 `invalid_fhir` naming the field as a FHIRPath-like location
(`dosageInstruction[0].timing.repeat.timeOfDay[1]`), so an integrator can find it
in the resource they sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.errors import VigilError

R = TypeVar("R", bound=BaseModel)


def fhir_path(loc: Sequence[Any]) -> str:
    """("dosageInstruction", 0, "timing") -> "dosageInstruction[0].timing"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def invalid(field: str, message: str) -> VigilError:
    return VigilError(422, "invalid_fhir", f"{field}: {message}",
                      [{"field": field, "message": message}])


def parse_resource(payload: Any, model: type[R], resource_type: str) -> R:
    """`payload` validated as `resource_type` by fhir.resources; the first problem is a 422."""
    if not isinstance(payload, dict) or payload.get("resourceType") != resource_type:
        raise invalid("resourceType", f"must be {resource_type}")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        raise invalid(fhir_path(first["loc"]) or "resource", first["msg"])
