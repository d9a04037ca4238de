"""Temporal activities: every side effect a workflow needs (sending, storing, looking up)."""
