"""The console in Malay, Chinese and Tamil: chosen once, kept on every page, family words too."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.utils.browser import signed_in_page

pytestmark = pytest.mark.e2e


async def test_a_nurse_reads_her_inbox_in_malay_after_choosing_it_once(
        stack, browser: Browser) -> None:
    context, page = await signed_in_page(browser, stack.api_url, "nurse-siti")
    try:
        await page.click("nav.languages a[hreflang=ms]")
        await expect(page.locator("html")).to_have_attribute("lang", "ms")
        await expect(page.locator("h1")).to_have_text("Panggilan saya")
        await expect(page.locator("#connection")).to_have_text(
            "Langsung: panggilan baharu muncul di sini serta-merta.")
        await page.goto("/console/sessions")  # the choice is kept
        await expect(page.locator("h1")).to_have_text("Sesi pemantauan")
    finally:
        await context.close()


@pytest.mark.parametrize("lang, heading", [("zh", "登录 Vigil"), ("ta", "Vigil-இல் உள்நுழை")])
async def test_the_browsers_language_is_used_until_one_is_chosen(
        stack, browser: Browser, lang: str, heading: str) -> None:
    context = await browser.new_context(base_url=stack.api_url, locale=lang)
    try:
        page = await context.new_page()
        await page.goto("/console/sign-in")
        await expect(page.locator("html")).to_have_attribute("lang", lang)
        await expect(page.locator("h1")).to_have_text(heading)
    finally:
        await context.close()
