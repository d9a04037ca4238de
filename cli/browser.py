"""Debian's Chromium under Playwright: the browser tests and `vigil screenshots` launch it here.

Never Playwright's own browser download (`playwright install`): the system's package is used,
installed by `make test` / `make screenshots` when missing.
"""

from __future__ import annotations

import shutil

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    found = shutil.which("chromium") or CHROMIUM
    if not shutil.which(found):
        raise RuntimeError("Chromium is not installed: apt-get install -y chromium (make test does)")
    return found


def launch_options() -> dict[str, object]:
    """Keyword arguments for `playwright.chromium.launch`."""
    return {"executable_path": chromium_path(), "args": CHROMIUM_ARGS, "headless": True}
