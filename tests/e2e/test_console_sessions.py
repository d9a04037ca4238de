"""A coordinator's monitoring pages in a real browser: the start form, the live chart, the end."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Browser, expect

from tests.utils.browser import signed_in_page
from tests.utils.monitoring import NEWS2_2, NORMAL, a_reading

pytestmark = pytest.mark.e2e


async def test_a_coordinator_starts_a_session_from_the_form_and_a_reading_appears_on_the_chart(
        stack, browser: Browser, client_for) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    context, page = await signed_in_page(browser, stack.api_url, "coord-lee", "coordinator",
                                         home="/console/sessions/new")
    try:
        await page.fill("#patient_id", patient)
        await page.select_option("#monitoring_type", "post_operative")
        await expect(page.locator("#threshold_spo2_low")).to_have_value("94")  # the type's default
        await page.fill("#department", "Ward 5B")
        await page.fill("#device_id_0", "mon-1")
        await page.check("input[name=care_team][value=nurse-siti]")
        await page.fill("#threshold_heart_rate_high", "300")  # beyond what any clinician means
        await page.click("form.session-form button[type=submit]")
        error = page.locator("#threshold_heart_rate_high-error")
        await expect(error).to_have_text("must be between 20 and 250")
        await expect(page.locator("#patient_id")).to_have_value(patient)  # nothing typed is lost

        await page.fill("#threshold_heart_rate_high", "110")
        await page.click("form.session-form button[type=submit]")
        await expect(page.locator("#done")).to_have_text("Monitoring started.")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        await expect(page.locator("#no-readings")).to_be_visible()
        session_id = page.url.split("/console/sessions/")[1].split("?")[0]

        async with client_for("coord-lee", "coordinator") as coordinator:
            started = (await coordinator.get(f"/sessions/{session_id}")).json()
            assert started["thresholds"]["heart_rate_high"] == 110
            assert started["thresholds"]["spo2_low"] == 94
            assert started["care_team"] == ["nurse-siti"]
            answer = await coordinator.post(f"/sessions/{session_id}/readings",
                                            json=a_reading({**NORMAL, "heart_rate": 88}))
            assert answer.status_code == 202, answer.text
            heart = page.locator('figure[data-series="heart_rate"]')
            await expect(heart).to_have_attribute("data-count", "1")
            await expect(heart.locator(".latest")).to_have_text("88")
            await expect(heart.locator(".limit-label")).to_contain_text(["low 50", "high 110"])
            await expect(page.locator('figure[data-series="news2"] .latest')).to_have_text("0")

            answer = await coordinator.post(f"/sessions/{session_id}/readings",
                                            json=a_reading(NEWS2_2))
            assert answer.status_code == 202, answer.text
            await expect(page.locator('figure[data-series="news2"]')).to_have_attribute(
                "data-count", "2")
            await expect(page.locator('figure[data-series="news2"] .latest')).to_have_text("2")

        await page.fill("#limit_spo2_low", "30")  # no oximeter reads that low: refused
        await page.click("form.limits-form button[type=submit]")
        await expect(page.locator("#limit_spo2_low-error")).to_have_text(
            "must be between 50 and 100")
        await page.fill("#limit_spo2_low", "92")
        await page.click("form.limits-form button[type=submit]")
        await expect(page.locator("#done")).to_contain_text("Limits changed")
        await expect(page.locator("#limit_spo2_low")).to_have_value("92")

        await page.click("#ending button[type=submit]")
        await expect(page.locator("#done")).to_have_text("Session ended.")
        await expect(page.locator("#summary")).to_contain_text("Grace Lee (coordinator)")
        await expect(page.locator("#status")).to_have_text("ended")
    finally:
        await context.close()
