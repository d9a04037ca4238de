"""Vigil's custom search attributes: how auditors find a workflow in Temporal visibility.

Every Vigil workflow is started with `for_start(...)` and keeps VigilStatus
current itself, so a search by patient, kind, facility, severity or status
needs nothing but Temporal. `ensure_registered` adds any that a server lacks
(a Temporal cluster, or a dev-server database created before one was added).
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

VIGIL_KIND = SearchAttributeKey.for_keyword("VigilKind")  # emergency, monitoring_session, ...
VIGIL_PATIENT = SearchAttributeKey.for_keyword("VigilPatient")
VIGIL_FACILITY = SearchAttributeKey.for_keyword("VigilFacility")
VIGIL_SEVERITY = SearchAttributeKey.for_keyword("VigilSeverity")
VIGIL_STATUS = SearchAttributeKey.for_keyword("VigilStatus")

KEYS = (VIGIL_KIND, VIGIL_PATIENT, VIGIL_FACILITY, VIGIL_SEVERITY, VIGIL_STATUS)
KINDS = ("emergency", "monitoring_session", "medication_schedule", "appointment")


def for_start(*, kind: str, patient_id: str, facility_id: str | None = None,
              severity: str | None = None, status: str = "active") -> TypedSearchAttributes:
    """The attributes a Vigil workflow starts with; unknown ones are left unset."""
    values = {VIGIL_KIND: kind, VIGIL_PATIENT: patient_id, VIGIL_FACILITY: facility_id,
              VIGIL_SEVERITY: severity, VIGIL_STATUS: status}
    return TypedSearchAttributes([SearchAttributePair(k, v) for k, v in values.items() if v])


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags that register every key on a fresh database."""
    return [arg for key in KEYS for arg in ("--search-attribute", f"{key.name}=Keyword")]


async def ensure_registered(client: Client) -> list[str]:
    """Add the keys this namespace lacks; returns the names added."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )

    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace))
    missing = [key.name for key in KEYS if key.name not in listed.custom_attributes]
    if missing:
        keyword = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
            namespace=client.namespace, search_attributes={name: keyword for name in missing}))
    return missing
