"""An auditor's review pages in a real browser: find a workflow, replay it, download its export."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.async_api import Browser, expect
from sqlmodel import col, select

from audit.chain import append
from audit.export import read_bundle
from db.engine import reading, writing
from db.models import AuditEntry
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


async def test_the_chain_page_says_it_holds_and_then_where_an_edited_entry_breaks_it(
        stack, browser: Browser) -> None:
    with writing() as session:
        seq = append(session, actor="test", action="test.tamper", subject=uuid.uuid4().hex,
                     detail={"n": 1}).seq
    with reading() as session:
        position = list(session.exec(select(AuditEntry.seq).order_by(col(AuditEntry.seq)))
                        .all()).index(seq) + 1
    context, page = await signed_in_page(browser, stack.api_url, "admin-raj", "admin",
                                         home="/console/review/verify")
    try:
        await expect(page.locator("#verdict")).to_contain_text("The chain holds")
        with writing() as session:  # edited behind the audit writer's back ...
            row = session.get(AuditEntry, seq)
            row.detail = {"n": 99}
            session.add(row)
        try:
            await page.reload()
            await expect(page.locator("#verdict")).to_have_text(
                f"The chain is broken from position {position} on.")
            await expect(page.locator("#problems")).to_contain_text(
                f"Position {position} (entry {seq}): edited")
        finally:  # ... and put back, so the chain is whole again for every other test
            with writing() as session:
                row = session.get(AuditEntry, seq)
                row.detail = {"n": 1}
                session.add(row)
        await page.reload()
        await expect(page.locator("#verdict")).to_contain_text("The chain holds")
    finally:
        await context.close()
