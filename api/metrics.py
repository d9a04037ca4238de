"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EMERGENCIES_CREATED = Counter("vigil_emergencies_created_total", "Emergencies raised", ["severity"])
LIVE_CLIENTS = Gauge("vigil_live_clients", "Connected live clients", ["kind"])
LIVE_EVENTS_SENT = Counter("vigil_live_events_sent_total", "Events sent to live clients", ["kind"])
RECEIPTS = Counter("vigil_receipts_total", "Client receipts of delivered pages", ["channel"])
