"""An admin's pages in a real browser: a bad policy or staff value beside its field, adding
and editing staff, the live dashboard."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Browser, expect

from tests.utils.api import fast_policy
from tests.utils.browser import signed_in_page

pytestmark = pytest.mark.e2e


async def test_an_admin_edits_a_policy_and_a_bad_value_is_shown_next_to_its_field(
        stack, browser: Browser, admin) -> None:
    policy_id = await fast_policy(admin)
    context, page = await signed_in_page(browser, stack.api_url, "admin-raj", "admin",
                                         home="/console/policies")
    try:
        await page.click(f'#policy-{policy_id} a:has-text("Edit")')
        await expect(page.locator("#tier_name_1")).to_have_value("charge nurse")
        await page.fill("#tier_timeout_1", "0")
        await page.fill("#tier_targets_2", "everybody")
        await page.click("form.policy-form button[type=submit]")
        timeout_error = page.locator("#tier_timeout_1-error")
        await expect(timeout_error).to_have_text("Input should be greater than 0")
        await expect(page.locator("#tier_timeout_1")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#tier_timeout_1")).to_have_value("0")  # kept as typed
        unchanged = (await admin.get(f"/policies/{policy_id}")).json()
        assert unchanged["version"] == 1 and unchanged["tiers"][1]["ack_timeout_s"] == 2.0

        await page.fill("#tier_timeout_1", "45")
        await page.click("form.policy-form button[type=submit]")
        await expect(page.locator("#tier_targets_2-error")).to_contain_text(
            "targets must be one of")
        await page.fill("#tier_targets_2", "admins")
        await page.click("form.policy-form button[type=submit]")
        await expect(page.locator("#done")).to_have_text("Saved.")
        await expect(page.locator(f"#policy-{policy_id}")).to_contain_text("version 2")
        saved = (await admin.get(f"/policies/{policy_id}")).json()
        assert saved["tiers"][1]["ack_timeout_s"] == 45
    finally:
        await context.close()


async def test_an_admin_adds_a_staff_member_and_a_bad_value_is_shown_next_to_its_field(
        stack, browser: Browser, admin) -> None:
    staff_id = f"nurse-{uuid.uuid4().hex[:8]}"
    context, page = await signed_in_page(browser, stack.api_url, "admin-raj", "admin",
                                         home="/console/staff")
    try:
        await page.click('a:has-text("New staff member")')
        await page.fill("#id", staff_id)
        await page.fill("#name", "Farah Idris, RN")
        await page.select_option("#provider_type", "nurse")
        await page.select_option("#facility_id", "vigil-general")
        await page.fill("#phone", "0123")  # not E.164
        await page.check("#on_call")
        await page.click("form.staff-form button[type=submit]")
        await expect(page.locator("#phone-error")).to_contain_text("should match pattern")
        await expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#phone")).to_have_value("0123")  # kept as typed
        await expect(page.locator("#name")).to_have_value("Farah Idris, RN")
        assert (await admin.get(f"/staff/{staff_id}")).status_code == 404  # nothing created

        await page.fill("#phone", "+60123456780")
        await page.click("form.staff-form button[type=submit]")
        await expect(page.locator("#done")).to_have_text("Saved.")
        await expect(page.locator(f"#staff-{staff_id}")).to_contain_text("Farah Idris, RN")
        created = (await admin.get(f"/staff/{staff_id}")).json()
        assert created["phone"] == "+60123456780" and created["on_call"] is True
        assert created["provider_type"] == "nurse" and created["facility_id"] == "vigil-general"

        await page.click(f'#staff-{staff_id} a:has-text("Edit")')
        await page.select_option("#role", "coordinator")  # a coordinator has no provider type
        await page.click("form.staff-form button[type=submit]")
        await expect(page.locator("#provider_type-error")).to_have_text(
            "only providers have a provider_type")
        assert (await admin.get(f"/staff/{staff_id}")).json()["role"] == "provider"
        await page.select_option("#provider_type", "")
        await page.uncheck("#on_call")
        await page.click("form.staff-form button[type=submit]")
        await expect(page.locator("#done")).to_have_text("Saved.")
        edited = (await admin.get(f"/staff/{staff_id}")).json()
        assert edited["role"] == "coordinator" and edited["on_call"] is False
        assert edited["phone"] == "+60123456780"
    finally:
        await context.close()


async def test_the_staff_directory_lists_everyone(stack, browser: Browser) -> None:
    context, page = await signed_in_page(browser, stack.api_url, "coord-lee", "coordinator",
                                         home="/console/staff")
    try:
        await expect(page.locator("#staff")).to_contain_text("Siti Rahman, RN")
    finally:
        await context.close()


async def test_the_dashboard_shows_the_engine_healthy_and_counts_a_new_emergency_by_itself(
        stack, browser: Browser, raise_emergency) -> None:
    context, page = await signed_in_page(browser, stack.api_url, "admin-raj", "admin",
                                         home="/console/dashboard")
    try:
        await expect(page.locator("#temporal-health")).to_have_text("answering")
        queues = page.locator("dd[data-queue]")
        await expect(queues).to_have_count(3)  # the emergency, routine and webhook task queues
        for n in range(3):
            await expect(queues.nth(n)).to_contain_text("worker(s) polling")
            await expect(queues.nth(n)).not_to_have_class("error")  # none has no worker
        raised = page.locator('[data-window="hour"] .raised')
        before = int(await raised.inner_text())
        await raise_emergency()
        await page.wait_for_function(  # the page reads its figures again by itself
            f"Number(document.querySelector('[data-window=hour] .raised').textContent) > {before}",
            timeout=20_000)
        await expect(page.locator('#open dd[data-status="active"]')).to_be_visible()
    finally:
        await context.close()
