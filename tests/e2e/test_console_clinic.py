"""The clinic board in a real browser: today's appointments, each change shown as it happens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from tests.utils.api import as_user
from tests.utils.browser import signed_in_page

pytestmark = pytest.mark.e2e


def _daytime_zone(now: datetime) -> str:
    """A zone where it is neither just before nor just after midnight: `now` + 30 min is today."""
    for zone in ("Asia/Kuala_Lumpur", "Europe/London", "America/Los_Angeles"):
        if 1 <= now.astimezone(ZoneInfo(zone)).hour <= 21:
            return zone
    raise AssertionError("three zones eight hours apart cannot all be near midnight")


async def test_a_booking_and_its_delay_appear_on_the_clinic_board_without_a_reload(
        stack, browser: Browser) -> None:
    now = datetime.now(timezone.utc)
    patient_id = f"pt-clinic-{uuid.uuid4().hex[:8]}"
    context, page = await signed_in_page(browser, stack.api_url, "coord-lee", "coordinator",
                                         home="/console/clinic/vigil-general")
    try:
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
            made = await coordinator.post("/patients", json={
                "id": patient_id, "name": "Clinic Patient", "time_zone": _daytime_zone(now)})
            assert made.status_code == 201, made.text
            start = now + timedelta(minutes=30)
            booked = await coordinator.post("/appointments", json={
                "patient_id": patient_id, "provider_id": "dr-lim", "facility_id": "vigil-general",
                "department": "Cardiology clinic", "room": "3", "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(minutes=20)).isoformat(),
                "reminder_offsets_h": [1]})
            assert booked.status_code == 201, booked.text
            appointment_id = booked.json()["id"]
            row = page.locator(f'tr[data-appointment="{appointment_id}"]')
            await expect(row).to_contain_text(patient_id)
            await expect(row.locator(".appointment-status")).to_contain_text("scheduled")

            delayed = await coordinator.post(f"/appointments/{appointment_id}/updates",
                                             json={"type": "provider_delay", "delay_minutes": 15})
            assert delayed.status_code == 200, delayed.text
            await expect(row.locator(".appointment-status")).to_contain_text("provider delay")
            await coordinator.post(f"/appointments/{appointment_id}/updates",
                                   json={"type": "cancelled", "reason": "test over"})
            await expect(row.locator(".appointment-status")).to_contain_text("cancelled")
    finally:
        await context.close()
