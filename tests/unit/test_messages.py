"""Page texts and phone replies: lock-screen safe, channel-appropriate, in the staff's language."""

import re
import xml.etree.ElementTree as ET

import pytest

from services.phone_replies import parse_ack
from channels.base import OutboundMessage, Recipient
from channels.messages import LANGUAGES, location_text, safe_text
from channels.replies import _SMS, _VOICE, sms_reply, voice_reply
from channels.sms_segments import fit_to_segments
from channels.twilio_voice import page_twiml

KINDS = ("page", "ack_notice", "stand_down", "handover", "alarm", "alarm_unacknowledged",
         "technical_alarm")
CHANNELS = ("websocket", "push", "sms", "voice", "email")
CONTENT = {
    "severity": "critical", "short_code": "4821", "status": "cancelled", "owner_name": "Dr Mei Tan",
    "location": {"facility_name": "Vigil General Hospital", "department": "Ward 5B", "room": "12",
                 "floor": "5"},
    # What must never leave the app, though the workflow hands it to every delivery:
    "description": "Anaphylaxis after penicillin", "patient_id": "patient-jane-doe",
    "patient_name": "Jane Doe", "type": "allergic_reaction",
}
SECRETS = ("Anaphylaxis", "penicillin", "patient-jane-doe", "Jane Doe", "allergic")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_text_names_location_and_code_and_nothing_clinical(kind, channel, language):
    text = safe_text(kind, CONTENT, language, channel)
    assert "Ward 5B" in text
    assert "4821" in text or (channel == "voice" and "4 8 2 1" in text)
    assert not re.search(r"[{}]", text), "unfilled template field"
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_page_says_reply_ack_with_the_code(language):
    assert "ACK 4821" in safe_text("page", CONTENT, language, "sms")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", ("push", "email", "websocket"))
def test_push_email_and_app_pages_do_not_ask_for_a_reply(channel, language):
    assert "ACK" not in safe_text("page", CONTENT, language, channel)


@pytest.mark.parametrize("kind", KINDS[1:])
def test_only_pages_ask_for_an_answer(kind):
    assert "ACK" not in safe_text(kind, CONTENT, "en", "sms")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_call_tells_the_listener_to_press_1_and_spells_the_code(language):
    message = OutboundMessage(
        attempt_id="a1", channel="voice", recipient=Recipient("s1", "S", language=language),
        subject_id="e1", kind="page", severity="critical", short_code="4821", location_text="",
        safe_text=safe_text("page", CONTENT, language, "voice"))
    say = ET.fromstring(page_twiml(message, "https://x/gather")).find("Gather/Say")
    spoken = say.text
    assert "4 8 2 1" in spoken and " 1 " in f" {spoken} ".replace("1,", "1 ").replace("，", " ")
    if language == "en":
        assert "Press 1" in spoken and "language" not in say.attrib
    else:  # the whole call in the listener's own language, in a voice that speaks it
        assert "Press 1" not in spoken
        assert say.attrib["language"].split("-")[0] in {"ms", "cmn", "ta"}


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["CRITICAL", "emergency", "room 12", "floor 5"]),
    ("ms", ["KRITIKAL", "kecemasan", "bilik 12", "tingkat 5", "Balas ACK"]),
    ("zh", ["危急", "紧急情况", "房 12", "回复 ACK"]),
    ("ta", ["மிக அவசரம்", "அவசர நிலை", "அறை 12", "பதிலளிக்கவும்"]),
])
def test_the_recipients_language_is_used(language, words):
    text = safe_text("page", CONTENT, language, "sms")
    for word in words:
        assert word in text


def test_an_unknown_language_falls_back_to_english():
    assert safe_text("page", CONTENT, "fr", "sms") == safe_text("page", CONTENT, "en", "sms")


def test_stand_down_names_the_status_in_the_recipients_language():
    assert "cancelled" in safe_text("stand_down", CONTENT, "en")
    assert "dibatalkan" in safe_text("stand_down", CONTENT, "ms")


def test_a_kind_without_a_template_says_only_what_is_safe_and_asks_nothing():
    text = safe_text("technical_alarm_v9", CONTENT, "en", "sms")
    assert text == "VIGIL CRITICAL: Vigil General Hospital, Ward 5B, room 12, floor 5. Code 4821."


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_location_is_cut_so_the_sms_fits_two_segments_with_code_and_reply(language):
    long = {**CONTENT, "location": {**CONTENT["location"],
                                    "facility_name": "Hospital " * 20, "department": "Ward " * 30}}
    text = safe_text("page", long, language, "sms")
    assert fit_to_segments(text, 2) == text
    assert "ACK 4821" in text and ("Code 4821" in text or "4821" in text.split("ACK")[0])
    assert "Hospital" not in text, "the facility goes first"


def test_short_sms_is_left_whole():
    text = safe_text("page", CONTENT, "en", "sms")
    assert text == ("VIGIL CRITICAL: emergency at Vigil General Hospital, Ward 5B, room 12, "
                    "floor 5. Code 4821. Reply ACK 4821 to take it.")


def test_location_text_skips_missing_parts():
    assert location_text({"department": "ED"}) == "ED"
    assert location_text({}) == "?"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reply_exists_in_every_language_and_fills_in(language):
    for key in _SMS:
        text = sms_reply(key, language, code="4821", codes="4821, 1234", owner="Dr Tan",
                         time="8:00", patient="Aminah")
        assert text and not re.search(r"[{}]", text)
    for key in _VOICE:
        assert not re.search(r"[{}]", voice_reply(key, language, owner="Dr Tan"))
    assert "Dr Tan" in sms_reply("taken", language, code="4821", owner="Dr Tan")


@pytest.mark.parametrize(("text", "parsed"), [
    ("ACK 4821", (True, "4821")), ("ack4821", (True, "4821")), (" Ack 4821. ", (True, "4821")),
    ("ACK", (True, None)), ("1", (True, None)), ("ack!", (True, None)),
    ("hello", (False, None)), ("ACK 4821 and 1234", (False, None)), ("2", (False, None)),
    ("", (False, None)), ("ACK please", (False, None)),
])
def test_sms_acknowledgements_are_recognised(text, parsed):
    assert parse_ack(text) == parsed


def test_a_patient_answers_a_reminder_in_any_of_the_four_languages() -> None:
    from channels.appointment_replies import REPLY_WORDS, appointment_answer, answer_text

    for answer, words in REPLY_WORDS.items():
        for word in words:
            assert appointment_answer(f"  {word.lower()} thanks") == answer, word
    assert appointment_answer("确认") == "confirm" and appointment_answer("ACK 1234") is None
    assert appointment_answer("") is None and appointment_answer("1") is None
    for key in ("confirmed", "reschedule_asked", "no_appointment", "unavailable"):
        for lang in ("en", "ms", "zh", "ta"):
            assert answer_text(key, lang, when="1 Dec 09:30").startswith("VIGIL")
