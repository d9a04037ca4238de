import re
import xml.etree.ElementTree as ET

import pytest

from channels.base import PermanentChannelError, TransientChannelError
from channels.clients import twilio_client
from channels.twilio_voice import TwilioVoiceChannel, page_twiml
from tests.fakes.pages import NURSE, SECRET_DETAIL, a_page
from tests.fakes.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, twilio_error

FROM = "+15550001111"
TWIML_BASE = "https://vigil.example/webhooks/twilio/voice"
STATUS_CALLBACK = "https://vigil.example/webhooks/twilio/call-status"
GATHER_URL = f"{TWIML_BASE}/gather?attempt_id=att-0001"


@pytest.fixture
def voice(twilio):
    client = twilio_client(ACCOUNT_SID, AUTH_TOKEN, twilio.url)
    return TwilioVoiceChannel(client, FROM, TWIML_BASE, STATUS_CALLBACK)


def test_page_twiml_gathers_one_digit_and_asks_again_on_silence():
    root = ET.fromstring(page_twiml(a_page("voice"), GATHER_URL))

    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Gather", "Gather", "Gather", "Hangup"]
    for gather in root.findall("Gather"):
        assert gather.attrib["numDigits"] == "1"
        assert gather.attrib["action"] == GATHER_URL
        assert gather.attrib["method"] == "POST"
        spoken = gather.find("Say").text
        assert spoken == "CRITICAL Ward 4B bed 12 code K7Q", "exactly the safe text, no more"


def test_page_twiml_speaks_only_safe_text():
    twiml = page_twiml(a_page("voice"), GATHER_URL)
    for secret in SECRET_DETAIL.values():
        assert secret not in twiml


def test_page_twiml_escapes_markup_in_the_spoken_text():
    root = ET.fromstring(page_twiml(a_page("voice", safe_text="Bay <3> & 4"), GATHER_URL))
    assert "Bay <3> & 4" in root.find("Gather/Say").text


def test_voice_page_places_a_call_with_the_twiml_and_status_callbacks(twilio, voice):
    page = a_page("voice")
    result = voice.send(page)

    (request,) = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert request.body["To"] == NURSE.phone
    assert request.body["From"] == FROM
    assert request.body["Twiml"] == page_twiml(page, GATHER_URL)
    assert request.body["StatusCallback"] == STATUS_CALLBACK
    assert request.body["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert re.fullmatch(r"CA[0-9a-f]{32}", result.provider_message_id)


def test_end_call_sets_the_call_to_completed(twilio, voice):
    call_sid = voice.send(a_page("voice")).provider_message_id
    voice.end_call(call_sid)

    update = twilio.requests[-1]
    assert update.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call_sid}.json"
    assert update.body == {"Status": "completed"}
    assert twilio.calls[call_sid]["status"] == "completed"


def test_end_call_on_a_call_that_already_ended_is_quiet(twilio, voice):
    call_sid = voice.send(a_page("voice")).provider_message_id
    twilio.fail_next(400, twilio_error(21220, "Call is not in-progress. Cannot redirect."))
    voice.end_call(call_sid)


def test_end_call_on_an_unknown_call_is_permanent(voice):
    with pytest.raises(PermanentChannelError, match="20404"):
        voice.end_call("CA" + "f" * 32)


def test_503_on_call_is_transient(twilio, voice):
    twilio.fail_next(503, twilio_error(20503, "Service Unavailable", 503))
    with pytest.raises(TransientChannelError):
        voice.send(a_page("voice"))


def test_invalid_number_on_call_is_permanent(twilio, voice):
    twilio.fail_next(400, twilio_error(21211, "Invalid 'To' Phone Number: +1500555"))
    with pytest.raises(PermanentChannelError, match="21211"):
        voice.send(a_page("voice"))
