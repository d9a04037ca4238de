"""The emergency page in a real browser is live: another person's acknowledgement shows at once,
and a lost stream is said plainly, then resumed."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Route, expect

from tests.utils.api import fast_policy
from tests.utils.browser import signed_in_page
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e

ON_CALL_TIER = [{"name": "Everyone on call", "targets": "on_call", "ack_timeout_s": 120}]


async def test_the_emergency_page_shows_who_took_it_when_someone_else_acknowledges(
        stack, browser: Browser, admin, client_for, raise_emergency) -> None:
    policy = await fast_policy(admin, tiers=ON_CALL_TIER, voice_after_s=60)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, recipient_id="nurse-siti"), what="paged")
    context, page = await signed_in_page(browser, stack.api_url, "nurse-mei", width=360)
    try:
        await page.goto(f"/console/emergencies/{emergency_id}")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        await expect(page.locator("#owner")).to_have_text("Nobody yet")
        async with client_for("nurse-siti") as siti:
            answer = await siti.post(f"/emergencies/{emergency_id}/acknowledge")
            assert answer.status_code == 200, answer.text
        await expect(page.locator("#owner")).to_have_text("Siti Rahman, RN")
        await expect(page.locator("#ack-area")).to_have_text("Siti Rahman, RN has it.")
        await expect(page.locator("#timeline")).to_contain_text("acknowledged — by Siti Rahman, RN")
        assert await page.evaluate("window.vigilLive.events") > 0
    finally:
        await context.close()


async def test_a_lost_stream_is_shown_plainly_and_the_page_catches_up_when_it_returns(
        stack, browser: Browser, admin, client_for, raise_emergency) -> None:
    policy = await fast_policy(admin, tiers=ON_CALL_TIER, voice_after_s=60)
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: attempts(emergency_id, recipient_id="nurse-siti"), what="paged")
    context, page = await signed_in_page(browser, stack.api_url, "nurse-mei")
    stream = f"**/console/emergencies/{emergency_id}/events"

    async def refuse(route: Route) -> None:
        await route.fulfill(status=503, body="down")

    try:
        await page.route(stream, refuse)
        await page.goto(f"/console/emergencies/{emergency_id}")
        connection = page.locator("#connection")
        await expect(connection).to_have_attribute("data-state", "lost")
        await expect(connection).to_contain_text("Connection lost")
        async with client_for("nurse-siti") as siti:
            answer = await siti.post(f"/emergencies/{emergency_id}/acknowledge")
            assert answer.status_code == 200, answer.text
        await page.unroute(stream, refuse)
        await expect(connection).to_have_attribute("data-state", "live")
        await expect(page.locator("#owner")).to_have_text("Siti Rahman, RN")
    finally:
        await context.close()
