"""Each main console page, at a phone's 360 px and a desktop's 1280 px: axe-core (WCAG 2.1 AA)
finds no serious violation, and nothing is wider than the screen."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.utils.api import as_user
from tests.utils.browser import serious_violations, signed_in_page
from tests.utils.monitoring import NEWS2_5, a_reading, session_body
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


async def _check(page: Page, path: str, width: int, problems: list[str]) -> None:
    answer = await page.goto(path)
    assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
    if await page.locator("#connection").count():  # a live page: check it as people see it
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    for violation in await serious_violations(page):
        problems.append(f"{path} at {width} px: {violation}")
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{path} at {width} px: {overflow} px wider than the screen")


@pytest.mark.parametrize("width", [360, 1280])
async def test_every_main_page_passes_axe_and_fits_the_screen(
        stack, browser: Browser, raise_emergency, width: int) -> None:
    emergency_id = await raise_emergency()
    await eventually(lambda: attempts(emergency_id), what="paged")
    async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        session = (await coordinator.post("/sessions", json=session_body())).json()
        await coordinator.post(f"/sessions/{session['id']}/readings", json=a_reading(NEWS2_5))
    pages = {
        ("admin-raj", "admin"): ["/console/inbox", f"/console/emergencies/{emergency_id}",
                                 "/console/sessions", "/console/sessions/new",
                                 f"/console/sessions/{session['id']}", "/console/staff",
                                 "/console/policies", "/console/policies/new",
                                 "/console/review?kind=emergency",
                                 f"/console/review/workflows/{emergency_id}",
                                 "/console/review/verify", "/console/medication",
                                 "/console/clinic/vigil-general", "/console/dashboard"],
        ("fam-1", "family"): ["/console/patients/patient-001"],
    }
    problems: list[str] = []
    anonymous = await browser.new_context(base_url=stack.api_url,
                                          viewport={"width": width, "height": 800})
    try:
        await _check(await anonymous.new_page(), "/console/sign-in", width, problems)
    finally:
        await anonymous.close()
    for (person, role), paths in pages.items():
        context, page = await signed_in_page(browser, stack.api_url, person, role, width=width,
                                             home=paths[0])
        try:
            for path in paths:
                await _check(page, path, width, problems)
        finally:
            await context.close()
    async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        await coordinator.post(f"/sessions/{session['id']}/end", json={})
    assert problems == [], "\n".join(problems)
