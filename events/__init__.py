"""Live events: written by any process into the event log, streamed by every API process."""
