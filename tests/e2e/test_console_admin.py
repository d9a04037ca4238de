"""An admin's pages in a real browser: a bad policy value beside its field, the live dashboard."""

from __future__ import annotations

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
        await expect(queues).to_have_count(2)  # the emergency and the routine task queues
        for n in range(2):
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
