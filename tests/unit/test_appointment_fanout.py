"""Who hears of an appointment update, on which channels (SPEC §3.4), as a pure rule."""

from __future__ import annotations

from workflows.appointment_fanout import fan_out

PEOPLE = {"patient_id": "patient-1", "provider_id": "dr-a", "care_team": ["dr-b"],
              "on_duty": ["nurse-c", "dr-a"], "coordinators": ["coord-d"], "family": ["cg-e"]}


def told(update: str, urgency: str = "normal", emergency: bool = False) -> dict[str, tuple]:
    return {p.person_id: (p.kind, tuple(p.channels))
            for p in fan_out(update, urgency=urgency, emergency=emergency, **PEOPLE)}


def test_a_room_change_reaches_patient_provider_on_duty_and_family_in_words_and_nobody_else() -> None:
    pages = told("room_change")
    assert set(pages) == {"patient-1", "dr-a", "nurse-c", "cg-e"}
    assert pages["patient-1"] == ("appointment", ("websocket", "push")), "a room change is high"
    assert pages["cg-e"][0] == "appointment_family"


def test_check_in_raises_the_providers_urgency_and_tells_the_on_duty_staff() -> None:
    pages = told("checked_in")
    assert pages["dr-a"][1] == ("websocket", "push") and pages["patient-1"][1] == ("websocket",)
    assert "nurse-c" in pages and "coord-d" not in pages


def test_an_emergency_pages_the_care_team_on_every_channel_and_family_at_most_push() -> None:
    pages = told("emergency")
    assert pages["dr-b"][1] == ("websocket", "push", "sms", "voice", "email")
    assert pages["cg-e"][1] == ("websocket", "push")


def test_a_no_show_tells_the_coordinators_and_a_delay_does_not_reach_on_duty_staff() -> None:
    assert "coord-d" in told("no_show")
    assert set(told("provider_delay", urgency="low")) == {"patient-1", "dr-a", "cg-e"}
    assert "cg-e" not in told("urgency_change"), "family hear the patient's news, not triage"


def test_an_offline_patient_gets_email_below_high_urgency_only() -> None:
    from workflows.appointment_fanout import fan_out as rule

    def patient_channels(update: str, offline: bool) -> list[str]:
        pages = rule(update, urgency="normal", emergency=False, patient_id="p", provider_id="d",
                     care_team=[], on_duty=[], coordinators=[], family=["f"],
                     patient_offline=offline)
        assert "email" not in next(pg for pg in pages if pg.person_id == "f").channels
        return next(pg for pg in pages if pg.person_id == "p").channels

    assert patient_channels("provider_delay", offline=True) == ["websocket", "email"]
    assert patient_channels("provider_delay", offline=False) == ["websocket"]
    assert patient_channels("room_change", offline=True) == ["websocket", "push"], "high: no"
