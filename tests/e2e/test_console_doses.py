"""A patient confirms today's dose from their own console page, in a real browser."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.utils.browser import signed_in_page
from tests.utils.medication_stack import (
    dose_id,
    dose_is,
    minutes_ahead,
    new_patient,
    plan_body,
    start_plan,
)
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(1)]


async def test_a_patient_confirms_an_open_dose_from_their_page_and_sees_it_taken(
        stack, browser: Browser, admin: httpx.AsyncClient) -> None:
    patient = await new_patient(admin)
    (at,) = minutes_ahead(1)  # a dose at the next whole minute: open within about 70 s
    sid = await start_plan(admin, plan_body(patient["id"], [at]))
    home = f"/console/patients/{patient['id']}"
    context, page = await signed_in_page(browser, stack.api_url, patient["id"], "patient",
                                         home=home)
    try:
        await eventually(lambda: dose_is(sid, at, "open"), timeout_s=100,
                         what="the dose to open")
        await page.reload()
        row = page.locator(f'li[data-dose="{dose_id(at)}"]')
        await expect(row).to_have_attribute("data-outcome", "open")
        await row.locator('button:has-text("Taken")').click()

        await expect(page).to_have_url(f"{stack.api_url}{home}?done=taken#doses")
        await expect(page.locator("#done")).to_have_text(
            "Thank you: the dose is recorded as taken.")
        await expect(row).to_have_attribute("data-outcome", "taken")
        await expect(row.locator("button")).to_have_count(0)  # nothing left to confirm
        recorded = dose_is(sid, at, "taken")
        assert recorded is not None and recorded.confirmed_by == patient["id"]
        assert recorded.on_behalf is False
    finally:
        await context.close()
        await admin.post(f"/medication-schedules/{sid}/stop", json={"reason": "test over"})
