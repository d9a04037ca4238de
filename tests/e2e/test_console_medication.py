"""A coordinator's medication plan page in a real browser: adherence charted, pause/resume/stop."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.async_api import Browser, expect

from db.engine import writing
from db.models import DoseRecord
from tests.utils.api import as_user
from tests.utils.browser import signed_in_page
from tests.utils.matrix_world import medication_body

pytestmark = pytest.mark.e2e


def _past_doses(schedule_id: str, patient_id: str, outcomes: list[tuple[int, str]]) -> None:
    """Doses of days ago, as the workflow records them, for the adherence chart to count."""
    now = datetime.now(timezone.utc)
    with writing() as session:
        for days_ago, outcome in outcomes:
            due = now - timedelta(days=days_ago)
            session.add(DoseRecord(id=f"{schedule_id}/{due.isoformat()}", schedule_id=schedule_id,
                                   patient_id=patient_id, dose_id=due.strftime("%Y-%m-%dT%H:%M"),
                                   due_at=due, remind_at=due, outcome=outcome, medications=["m1"]))


async def test_a_coordinator_reads_adherence_and_pauses_resumes_and_stops_a_plan(
        stack, browser: Browser) -> None:
    patient_id = f"pt-med-{uuid.uuid4().hex[:8]}"
    async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        created = await coordinator.post("/patients", json={
            "id": patient_id, "name": "Medication Patient", "time_zone": "Asia/Kuala_Lumpur"})
        assert created.status_code == 201, created.text
        started = await coordinator.post("/medication-schedules", json=medication_body(patient_id))
        assert started.status_code == 201, started.text
        schedule_id = started.json()["id"]
    # 7 days: 3 taken, 1 missed (75 %); 30 days adds 2 late and 2 skipped (5 of 8 kept)
    _past_doses(schedule_id, patient_id, [(1, "taken"), (2, "taken"), (3, "taken"), (4, "missed"),
                                          (10, "late"), (12, "late"), (15, "skipped"),
                                          (20, "skipped")])
    context, page = await signed_in_page(browser, stack.api_url, "coord-lee", "coordinator",
                                         home="/console/medication")
    try:
        await page.click(f'a[href="/console/medication/{schedule_id}"]')
        week = page.locator('figure.adherence[data-days="7"]')
        await expect(week).to_have_attribute("data-pct", "75")
        await expect(week.locator("rect.seg")).to_have_count(2)  # taken and missed
        await expect(page.locator('figure.adherence[data-days="30"]')).to_have_attribute(
            "data-pct", "62")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")

        # The status comes over the page's live stream (the workflow's record, then its
        # event): under the suite's parallel load that can take longer than 5 s.
        live = 20_000
        await page.click("#pause")
        await expect(page.locator("#done")).to_contain_text("Paused")
        await expect(page.locator("#status")).to_have_text("paused", timeout=live)
        await page.click("#resume")
        await expect(page.locator("#status")).to_have_text("active", timeout=live)
        await page.click("#stop")
        await expect(page.locator("#status")).to_have_text("stopped", timeout=live)
        await expect(page.locator("#steer button")).to_have_count(0)
    finally:
        await context.close()


async def test_a_coordinator_starts_a_plan_from_the_form_and_a_bad_time_is_shown_beside_it(
        stack, browser: Browser) -> None:
    patient_id = f"pt-med-{uuid.uuid4().hex[:8]}"
    async with as_user(stack.api_url, "coord-lee", "coordinator") as coordinator:
        created = await coordinator.post("/patients", json={
            "id": patient_id, "name": "Form Patient", "time_zone": "Asia/Kuala_Lumpur"})
        assert created.status_code == 201, created.text
    context, page = await signed_in_page(browser, stack.api_url, "coord-lee", "coordinator",
                                         home="/console/medication/new")
    try:
        await page.fill("#patient_id", patient_id)
        await page.fill("#med_name_0", "Metformin")
        await page.fill("#med_dose_0", "500 mg")
        await page.fill("#times", "08:00, 25:00")
        await page.click("form.plan-form button[type=submit]")
        await expect(page.locator("#times-error")).to_contain_text("'25:00' is not a time of day")
        await expect(page.locator("#med_name_0")).to_have_value("Metformin")  # nothing lost

        await page.fill("#times", "08:00, 20:00")
        await page.click("form.plan-form button[type=submit]")
        await expect(page.locator("#done")).to_have_text("The plan has started.")
        await expect(page.locator("#plan-state")).to_contain_text("Metformin 500 mg")
        await expect(page.locator("#plan-state")).to_contain_text("08:00, 20:00")
        await page.click("#stop")
        await expect(page.locator("#status")).to_have_text("stopped")
    finally:
        await context.close()
