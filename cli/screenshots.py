"""`vigil screenshots`: pictures of the console's main pages at 360 and 1280 px.

Starts its own throwaway stack (Temporal dev server, worker, API in dev mode, demo data),
raises one critical emergency and starts one monitoring session with a few readings, then
saves each main page at each width into `screenshots/` (ignored by git), so a reviewer can
look without starting a browser by hand.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

WIDTHS = (360, 1280)
VITALS = [  # a patient getting worse over a few minutes: NEWS2 0, 2, 5
    {"respiratory_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 120,
     "heart_rate": 75, "consciousness": "alert", "temperature_c": 37.0},
    {"respiratory_rate": 21, "spo2": 96, "on_oxygen": False, "systolic_bp": 118,
     "heart_rate": 88, "consciousness": "alert", "temperature_c": 37.6},
    {"respiratory_rate": 22, "spo2": 94, "on_oxygen": False, "systolic_bp": 112,
     "heart_rate": 105, "consciousness": "alert", "temperature_c": 38.2},
]


async def _world(base: str) -> dict[str, str]:
    """One emergency and one monitoring session with readings, made through the API."""
    import httpx

    from api.auth import mint_token

    def client(sub: str, role: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30, headers={
            "Authorization": f"Bearer {mint_token(sub, [role])}"})

    emergency = {"idempotency_key": f"shot-{uuid.uuid4().hex[:8]}", "type": "cardiac_arrest",
                 "severity": "critical", "patient_id": "patient-001",
                 "description": "Unresponsive, no pulse", "location": {
                     "facility_id": "vigil-general", "department": "Ward 5B", "room": "12",
                     "floor": "5"}}
    session = {"patient_id": "patient-002", "monitoring_type": "post_operative",
               "location": {"facility_id": "vigil-general", "department": "Ward 5B", "room": "7"},
               "devices": [{"id": "mon-1", "type": "ekg_monitor"}],
               "care_team": ["nurse-siti"], "expected_interval_s": 600}
    async with client("admin-raj", "admin") as admin, client("coord-lee", "coordinator") as coord:
        emergency_id = (await admin.post("/emergencies", json=emergency)).json()["id"]
        session_id = (await coord.post("/sessions", json=session)).json()["id"]
        start = datetime.now(timezone.utc) - timedelta(minutes=len(VITALS) * 2)
        for n, vitals in enumerate(VITALS):
            taken = (start + timedelta(minutes=2 * n)).isoformat()
            await coord.post(f"/sessions/{session_id}/readings",
                             json={"device_id": "mon-1", "taken_at": taken, "vitals": vitals})
        await asyncio.sleep(1.0)  # the last reading is stored and charted
    return {"emergency": emergency_id, "session": session_id}


# (who signs in, role, [(name, path)]) for each width
def _tour(ids: dict[str, str]) -> list[tuple[str | None, str, list[tuple[str, str]]]]:
    e, s = ids["emergency"], ids["session"]
    return [
        (None, "", [("sign-in", "/console/sign-in")]),
        ("dr-tan", "provider", [("inbox", "/console/inbox"),
                                ("emergency", f"/console/emergencies/{e}")]),
        ("coord-lee", "coordinator", [("session-new", "/console/sessions/new"),
                                      ("session", f"/console/sessions/{s}"),
                                      ("sessions", "/console/sessions"),
                                      ("medication", "/console/medication"),
                                      ("clinic", "/console/clinic/vigil-general")]),
        ("admin-raj", "admin", [("dashboard", "/console/dashboard"),
                                ("policies", "/console/policies"),
                                ("policy-edit", "/console/policies/critical-default/edit"),
                                ("staff", "/console/staff")]),
        ("auditor-ng", "auditor", [("review", "/console/review?patient_id=patient-001"),
                                   ("timeline", f"/console/review/workflows/{e}"),
                                   ("verify", "/console/review/verify")]),
        ("fam-1", "family", [("family", "/console/patients/patient-001")]),
        ("fam-1", "family", [("family-ms", "/console/patients/patient-001?lang=ms")]),
    ]


async def _shoot(base: str, out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    from api.auth import mint_token
    from cli.browser import launch_options

    ids = await _world(base)
    saved: list[Path] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        for width in WIDTHS:
            for person, role, pages in _tour(ids):
                context = await browser.new_context(base_url=base,
                                                    viewport={"width": width, "height": 900})
                page = await context.new_page()
                if person:
                    await page.goto("/console/sign-in")
                    await page.fill("#token", mint_token(person, [role]))
                    await page.click("form[action='/console/sign-in'] button[type=submit]")
                    await page.wait_for_url("**/console/**")
                for name, path in pages:
                    await page.goto(path)
                    if await page.locator("#connection").count():
                        await page.wait_for_selector('#connection[data-state="live"]')
                    saved.append(out / f"{name}-{width}.png")
                    await page.screenshot(path=saved[-1], full_page=True)
                await context.close()
        await browser.close()
    return saved


def run(out_dir: str = "screenshots") -> int:
    tmp = Path(tempfile.mkdtemp(prefix="vigil-shots-"))
    os.environ.update(VIGIL_DEV_MODE="1", VIGIL_DATABASE_URL=f"sqlite:///{tmp / 'vigil.db'}",
                      VIGIL_AUDIT_CHECKPOINT_DIR=str(tmp / "checkpoints"))
    from cli.demo_data import seed_demo
    from cli.stack import Stack
    from cli.temporal_server import free_port, start_dev_server
    from db.migrate import upgrade
    from settings import get_settings

    get_settings.cache_clear()
    port = free_port()
    server = start_dev_server(port=port, ui_port=None, db_file=tmp / "temporal.db",
                              log_file=tmp / "temporal.log", headless=True)
    stack: Any = None
    try:
        upgrade()
        seed_demo()
        stack = Stack(database_url=get_settings().database_url, temporal_address=f"127.0.0.1:{port}",
                      logs=tmp, name="shots", env={"VIGIL_DEV_MODE": "1"}).start()
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for path in asyncio.run(_shoot(stack.api_url, out)):
            print(path)
        return 0
    finally:
        if stack is not None:
            stack.stop()
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    raise SystemExit(run())
