import base64
import re

import pytest

from channels.base import PermanentChannelError, Recipient, TransientChannelError
from channels.clients import twilio_client
from channels.twilio_sms import TwilioSmsChannel
from tests.fakes.pages import NURSE, SECRET_DETAIL, a_page
from tests.fakes.server import closed_port_url, unresponsive_server
from tests.fakes.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, twilio_error

FROM = "+15550001111"
STATUS_CALLBACK = "https://vigil.example/webhooks/twilio/sms-status"


def sms_channel(base_url: str, timeout: float = 5.0) -> TwilioSmsChannel:
    client = twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url, timeout=timeout)
    return TwilioSmsChannel(client, FROM, STATUS_CALLBACK)


def test_sms_page_posts_safe_text_to_the_messages_api(twilio):
    result = sms_channel(twilio.url).send(a_page())

    (request,) = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {basic}"
    assert request.body == {
        "To": NURSE.phone,
        "From": FROM,
        "Body": "CRITICAL Ward 4B bed 12 code K7Q",
        "StatusCallback": STATUS_CALLBACK,
    }
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.provider_message_id)
    assert result.status == "sent"


def test_sms_never_carries_the_detail(twilio):
    sms_channel(twilio.url).send(a_page())
    for secret in SECRET_DETAIL.values():
        assert secret.encode() not in twilio.requests[0].raw


def test_long_sms_is_cut_to_two_segments(twilio):
    sms_channel(twilio.url).send(a_page(safe_text="CRITICAL " + "x" * 400))
    assert len(twilio.requests[0].body["Body"]) == 306


def test_staff_without_a_phone_is_a_permanent_failure_without_a_request(twilio):
    page = a_page(recipient=Recipient(staff_id="s2", name="No Phone"))
    with pytest.raises(PermanentChannelError, match="no phone"):
        sms_channel(twilio.url).send(page)
    assert twilio.requests == []


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (503, 20503, "Service Unavailable"),
        (500, 20500, "Internal Server Error"),
        (429, 20429, "Too Many Requests"),
    ],
)
def test_overload_and_server_errors_are_transient(twilio, status, code, message):
    twilio.fail_next(status, twilio_error(code, message, status))
    with pytest.raises(TransientChannelError, match=str(code)):
        sms_channel(twilio.url).send(a_page())


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number +15005550001 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
    ],
)
def test_invalid_or_unsubscribed_number_is_permanent_with_twilios_message(twilio, code, message):
    twilio.fail_next(400, twilio_error(code, message))
    with pytest.raises(PermanentChannelError) as raised:
        sms_channel(twilio.url).send(a_page())
    assert str(code) in str(raised.value) and message in str(raised.value)


def test_wrong_credentials_are_permanent(twilio):
    client = twilio_client(ACCOUNT_SID, "wrong-token", twilio.url)
    with pytest.raises(PermanentChannelError, match="20003"):
        TwilioSmsChannel(client, FROM, STATUS_CALLBACK).send(a_page())


def test_connection_refused_is_transient():
    with pytest.raises(TransientChannelError, match="unreachable"):
        sms_channel(closed_port_url()).send(a_page())


def test_timeout_is_transient():
    with unresponsive_server() as url:
        with pytest.raises(TransientChannelError, match="unreachable"):
            sms_channel(url, timeout=0.3).send(a_page())
