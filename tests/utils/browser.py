"""Driving the console in a real browser: sign in through its own form, read its live state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.utils.api import token


async def signed_in_page(browser: Browser, base_url: str, staff_id: str, *roles: str,
                         width: int = 1280, home: str = "/console/inbox",
                         patients: list[str] | None = None) -> tuple[BrowserContext, Page]:
    """A fresh browser context signed in as `staff_id` with the token form, on `home`."""
    context = await browser.new_context(base_url=base_url,
                                        viewport={"width": width, "height": 900})
    page = await context.new_page()
    # A script error on a console page is a failure, whatever the test was looking at.
    page.on("pageerror", lambda error: print(f"console page error: {error}"))
    page.on("console", lambda message: print(f"console: {message.text}"))
    await page.goto(f"/console/sign-in?next={home}")
    await page.fill("#token", token(staff_id, *(roles or ("provider",)), patients=patients))
    await page.click("form[action='/console/sign-in'] button[type=submit]")
    await expect(page).to_have_url(f"{base_url}{home}")
    return context, page


async def live_inbox(page: Page) -> None:
    """Wait until the inbox's socket is open, and turn the alarm sound on as a nurse would."""
    await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    if await page.locator("#sound-on").is_visible():
        await page.click("#sound-on")
    await page.wait_for_function("!window.vigilAlarm.needsPermission()")


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA: contrast, names, labels, landmarks, language.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it stands."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: `make test` installs it (npm ci)")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
