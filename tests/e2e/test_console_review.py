"""An auditor's review pages in a real browser: find a workflow, replay it, download its export."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.async_api import Browser, expect

from audit.export import read_bundle
from tests.utils.browser import signed_in_page

pytestmark = pytest.mark.e2e


async def test_an_auditor_finds_a_workflow_replays_it_and_downloads_its_export(
        stack, browser: Browser, raise_emergency) -> None:
    emergency_id = await raise_emergency()
    context, page = await signed_in_page(browser, stack.api_url, "auditor-ng", "auditor",
                                         home="/console/review")
    try:
        await page.fill("#patient_id", "patient-001")
        await page.select_option("#kind", "emergency")
        await page.click("form.search-form button[type=submit]")
        found = page.locator(f'#hits a[href="/console/review/workflows/{emergency_id}"]')
        for _ in range(40):  # Temporal's visibility store lists a new workflow a moment later
            if await found.count():
                break
            await page.reload()
        await found.click()
        await expect(page.locator("#timeline")).to_contain_text("started")

        async with page.expect_download() as waiting:
            await page.click("#export")
        download = await waiting.value
        assert download.suggested_filename == f"vigil-{emergency_id}.zip"
        bundle = read_bundle((await download.path()).read_bytes())
        assert bundle["manifest"]["workflow_id"] == emergency_id

        await page.click("#replay")
        verdict = page.locator("#verdict")
        await expect(verdict).to_contain_text("replays every recorded run")
        await expect(page.locator(".outcomes li")).to_contain_text(["Agrees"])

        await page.goto("/console/review")  # and every workflow closed in the last hour
        await page.click("details.panel summary")
        closed_after = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        await page.fill("#replay_closed_after", closed_after)
        await page.fill("#replay_limit", "3")
        await page.click("form.replay-form button[type=submit]")
        await expect(page.locator("h1")).to_have_text("Replay of a range")
        await expect(page.locator("#verdict")).to_contain_text("replays every recorded run")
    finally:
        await context.close()


async def test_the_chain_verification_page_says_whether_the_audit_log_holds(
        stack, browser: Browser) -> None:
    context, page = await signed_in_page(browser, stack.api_url, "admin-raj", "admin",
                                         home="/console/review/verify")
    try:
        await expect(page.locator("#verdict")).to_contain_text("The chain holds")
    finally:
        await context.close()
