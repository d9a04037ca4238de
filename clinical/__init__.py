"""Pure clinical rules: reading validation, NEWS2, thresholds, assessment and alarm state.

Everything here except `clinical.fhir` imports only the standard library, so
workflows can import it inside Temporal's sandbox and pass its dataclasses
as payloads. Nothing reads the clock: callers pass `now`.
"""
