"""`vigil screenshots`: pictures of the console's main pages at 360 and 1280 px.

Starts its own throwaway stack (Temporal dev server, worker, API in dev mode, demo data),
raises one critical emergency, and saves each page at each width into `screenshots/`
(ignored by git), so a reviewer can look without starting a browser by hand.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

WIDTHS = (360, 1280)


async def _shoot(base: str, out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    from api.auth import mint_token
    from cli.browser import launch_options
    import httpx

    admin = {"Authorization": f"Bearer {mint_token('admin-raj', ['admin'])}"}
    body = {"idempotency_key": f"shot-{uuid.uuid4().hex[:8]}", "type": "cardiac_arrest",
            "severity": "critical", "patient_id": "patient-001", "description": "Unresponsive, no pulse",
            "location": {"facility_id": "vigil-general", "department": "Ward 5B", "room": "12", "floor": "5"}}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=admin, timeout=30) as api:
        emergency_id = (await api.post("/emergencies", json=body)).json()["id"]
    saved: list[Path] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        for width in WIDTHS:
            context = await browser.new_context(base_url=base, viewport={"width": width, "height": 900})
            page = await context.new_page()
            await page.goto("/console/sign-in")
            saved.append(out / f"sign-in-{width}.png")
            await page.screenshot(path=saved[-1], full_page=True)
            await page.click('button[data-staff-id="dr-tan"]')
            await page.wait_for_selector(f'.page[data-subject="{emergency_id}"]')
            saved.append(out / f"inbox-{width}.png")
            await page.screenshot(path=saved[-1], full_page=True)
            await page.goto(f"/console/emergencies/{emergency_id}")
            saved.append(out / f"emergency-{width}.png")
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
    stack = None
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
