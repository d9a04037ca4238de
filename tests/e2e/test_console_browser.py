"""The console in a real browser (Debian's Chromium): the live inbox, its alarm, its refusals."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from playwright.async_api import Browser, expect

from settings import get_settings
from tests.utils.api import fast_policy, token
from tests.utils.browser import live_inbox, signed_in_page
from tests.utils.records import attempts, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

ON_CALL_TIER = [{"name": "Everyone on call", "targets": "on_call", "ack_timeout_s": 120}]


async def test_a_nurse_sees_a_critical_page_arrive_hears_it_and_a_colleague_sees_who_took_it(
        stack, browser: Browser, admin, raise_emergency) -> None:
    siti_context, siti = await signed_in_page(browser, stack.api_url, "nurse-siti")
    mei_context, mei = await signed_in_page(browser, stack.api_url, "nurse-mei", width=360)
    try:
        await live_inbox(siti)
        await live_inbox(mei)
        policy = await fast_policy(admin, tiers=ON_CALL_TIER, voice_after_s=60)
        emergency_id = await raise_emergency(policy_id=policy)

        banner = siti.locator("#banner")
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("HIGH PRIORITY")
        await expect(banner).to_have_class("banner priority-high")
        await siti.wait_for_function("window.vigilAlarm.playing && window.vigilAlarm.beeps > 0")
        await mei.wait_for_function("window.vigilAlarm.playing")

        card = siti.locator(f'.page[data-subject="{emergency_id}"]')
        await card.locator("button.ack").click()
        await expect(card.locator(".page-state")).to_have_text("You have it.")
        await siti.wait_for_function("!window.vigilAlarm.playing")

        taken = mei.locator(f'.page[data-subject="{emergency_id}"] .page-state')
        await expect(taken).to_have_text("Taken by Siti Rahman, RN.")
        await expect(mei.locator("#banner")).to_be_hidden()
        await mei.wait_for_function("!window.vigilAlarm.playing")
        row = await eventually(lambda: (e := emergency(emergency_id)) and e.owner_id and e,
                               what="the acknowledgement recorded")
        assert row.owner_id == "nurse-siti"
    finally:
        await siti_context.close()
        await mei_context.close()


async def test_the_emergency_page_shows_who_was_paged_and_who_has_it(
        stack, browser: Browser, admin, raise_emergency) -> None:
    policy = await fast_policy(admin, tiers=ON_CALL_TIER, voice_after_s=60)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, recipient_id="nurse-mei"), what="paged")
    context, page = await signed_in_page(browser, stack.api_url, "nurse-mei")
    try:
        await page.goto(f"/console/emergencies/{emergency_id}")
        await expect(page.locator("h1")).to_have_text("Cardiac arrest")
        await expect(page.locator(".attempts")).to_contain_text("Mei Ling Chua, RN (charge)")
        await page.click("text=Acknowledge")
        await expect(page.locator("#done")).to_have_text("You have it.")
        await expect(page.locator("#owner")).to_have_text("Mei Ling Chua, RN (charge)")
    finally:
        await context.close()


@pytest.mark.parametrize("reason, make", [
    ("expired", lambda: token("nurse-siti", "provider", ttl_s=-60)),
    ("invalid", lambda: jwt.encode({"sub": "nurse-siti", "roles": ["provider"],
                                    "iss": get_settings().jwt_issuer,
                                    "exp": int(time.time()) + 600}, "forged-" + uuid.uuid4().hex,
                                   algorithm="HS256")),
])
async def test_a_stale_or_forged_cookie_goes_back_to_sign_in_and_returns_after(
        stack, browser: Browser, reason: str, make) -> None:
    context = await browser.new_context(base_url=stack.api_url)
    await context.add_cookies([{"name": "vigil_session", "value": make(), "domain": "127.0.0.1",
                                "path": "/console", "httpOnly": True, "sameSite": "Strict"}])
    try:
        page = await context.new_page()
        await page.goto("/console/inbox")
        await expect(page).to_have_url(
            f"{stack.api_url}/console/sign-in?reason={reason}&next=%2Fconsole%2Finbox")
        assert "vigil_session" not in {c["name"] for c in await context.cookies()}
        await page.fill("#token", token("nurse-siti", "provider"))
        await page.click("form[action='/console/sign-in'] button[type=submit]")
        await expect(page).to_have_url(f"{stack.api_url}/console/inbox")
    finally:
        await context.close()


async def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
        stack, browser: Browser, admin, raise_emergency) -> None:
    policy = await fast_policy(admin, tiers=ON_CALL_TIER, voice_after_s=60)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, recipient_id="nurse-siti"), what="paged")
    context, page = await signed_in_page(browser, stack.api_url, "nurse-siti")
    try:
        path = f"/console/emergencies/{emergency_id}/acknowledge"
        missing = await page.request.post(path, form={}, max_redirects=0)
        wrong = await page.request.post(path, form={"csrf_token": "0" * 64}, max_redirects=0)
        assert missing.status == wrong.status == 403
        assert "not sent from this Vigil session" in await missing.text()
        assert emergency(emergency_id).status == "active"
    finally:
        await context.close()


async def test_the_console_refuses_what_the_api_refuses(stack, browser: Browser,
                                                        raise_emergency) -> None:
    """An auditor reads but never acknowledges: the console's form answers 403 as the API does."""
    emergency_id = await raise_emergency()
    context, page = await signed_in_page(browser, stack.api_url, "auditor-ng", "auditor")
    try:
        csrf = await page.locator('meta[name="csrf-token"]').get_attribute("content")
        answer = await page.request.post(f"/console/emergencies/{emergency_id}/acknowledge",
                                         form={"csrf_token": csrf or ""}, max_redirects=0)
        assert answer.status == 403
        assert "needs one of the roles" in await answer.text()
    finally:
        await context.close()
