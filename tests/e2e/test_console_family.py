"""A family member's page in a real browser: their patient's status in words, and nothing else."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.utils.browser import signed_in_page

pytestmark = pytest.mark.e2e


async def test_a_family_member_sees_their_patient_in_words_and_is_refused_another(
        stack, browser: Browser, raise_emergency) -> None:
    context, page = await signed_in_page(browser, stack.api_url, "fam-1", "family",
                                         home="/console/patients/patient-001")
    try:
        await expect(page.locator("h1")).to_have_text("Nur Aisyah binti Ahmad")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        await expect(page.locator("#doses-heading")).to_have_text("Today's doses")
        await raise_emergency(patient_id="patient-001")
        await expect(page.locator("#status-now")).to_have_text(
            "The care team has been alerted and is responding.")
        text = await page.locator("main").inner_text()
        assert "Unresponsive" not in text and "cardiac" not in text.lower()  # no clinical detail

        refused = await page.goto("/console/patients/patient-002")
        assert refused is not None and refused.status == 403
        await expect(page.locator("[role=alert]")).to_have_text(
            "You are not authorised for this patient.")
        staff_only = await page.goto("/console/inbox")
        assert staff_only is not None and staff_only.status == 403
        await page.goto("/console/me")
        await expect(page).to_have_url(f"{stack.api_url}/console/patients/patient-001")
    finally:
        await context.close()


async def test_on_a_development_machine_a_demo_family_member_signs_in_with_one_click(
        stack, browser: Browser) -> None:
    context = await browser.new_context(base_url=stack.api_url)
    try:
        page = await context.new_page()
        await page.goto("/console/sign-in")
        await page.click('button[data-staff-id="fam-1"]')  # the stack runs with VIGIL_DEV_MODE
        await expect(page).to_have_url(f"{stack.api_url}/console/patients/patient-001")
        await expect(page.locator(".who")).to_contain_text("fam-1 (family)")
    finally:
        await context.close()
