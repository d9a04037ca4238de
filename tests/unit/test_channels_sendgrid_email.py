import pytest

from channels.base import PermanentChannelError, Recipient, TransientChannelError
from channels.clients import sendgrid_client
from channels.sendgrid_email import SendGridEmailChannel
from tests.fakes.pages import NURSE, SECRET_DETAIL, a_page
from tests.fakes.sendgrid_fake import API_KEY, sendgrid_error, start_sendgrid_fake
from tests.fakes.server import closed_port_url, unresponsive_server

SENDER = "pager@vigil.example"
ACK_LINK = "https://vigil.example/ack?attempt=att-0001&sig=abc"


def email_channel(host: str, api_key: str = API_KEY, timeout: float = 5.0) -> SendGridEmailChannel:
    client = sendgrid_client(api_key, host, timeout=timeout)
    return SendGridEmailChannel(client, SENDER, lambda message: ACK_LINK)


@pytest.fixture(scope="module")
def sendgrid_server():
    with start_sendgrid_fake() as fake:
        yield fake


@pytest.fixture
def sendgrid(sendgrid_server):
    sendgrid_server.reset()
    return sendgrid_server


def test_email_page_is_a_v3_mail_send_with_text_and_html_and_the_ack_link(sendgrid):
    result = email_channel(sendgrid.url).send(a_page("email"))

    (request,) = sendgrid.requests
    assert request.path == "/v3/mail/send"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    mail = request.body
    assert mail["from"] == {"email": SENDER, "name": "Vigil"}
    assert mail["personalizations"] == [{"to": [{"email": NURSE.email, "name": NURSE.name}]}]
    assert mail["subject"] == "CRITICAL Ward 4B bed 12 code K7Q"
    text, html = mail["content"]
    assert text["type"] == "text/plain" and ACK_LINK in text["value"]
    assert html["type"] == "text/html"
    assert 'href="https://vigil.example/ack?attempt=att-0001&amp;sig=abc"' in html["value"]
    assert mail["custom_args"] == {"attempt_id": "att-0001", "subject_id": "emg-42"}
    assert mail["tracking_settings"]["click_tracking"]["enable"] is False
    assert result.provider_message_id == sendgrid.message_ids[0]


def test_email_never_carries_the_detail(sendgrid):
    email_channel(sendgrid.url).send(a_page("email"))
    for secret in SECRET_DETAIL.values():
        assert secret.encode() not in sendgrid.requests[0].raw


def test_staff_without_email_is_permanent(sendgrid):
    with pytest.raises(PermanentChannelError, match="no email"):
        email_channel(sendgrid.url).send(a_page("email", recipient=Recipient("s2", "No Mail")))
    assert sendgrid.requests == []


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_overload_and_server_errors_are_transient(sendgrid, status):
    sendgrid.fail_next(status, sendgrid_error("try again later"))
    with pytest.raises(TransientChannelError, match=str(status)):
        email_channel(sendgrid.url).send(a_page("email"))


def test_rejected_mail_is_permanent_with_sendgrids_message(sendgrid):
    sendgrid.fail_next(400, sendgrid_error("Does not contain a valid address.", "personalizations"))
    with pytest.raises(PermanentChannelError, match="Does not contain a valid address"):
        email_channel(sendgrid.url).send(a_page("email"))


def test_wrong_api_key_is_permanent(sendgrid):
    with pytest.raises(PermanentChannelError, match="401.*authorization grant"):
        email_channel(sendgrid.url, api_key="SG.wrong").send(a_page("email"))


def test_connection_refused_is_transient():
    with pytest.raises(TransientChannelError, match="unreachable"):
        email_channel(closed_port_url()).send(a_page("email"))


def test_timeout_is_transient():
    with unresponsive_server() as url:
        with pytest.raises(TransientChannelError, match="unreachable"):
            email_channel(url, timeout=0.3).send(a_page("email"))


def test_a_medication_email_lists_the_medicines_in_its_body_never_its_subject(sendgrid):
    reminder = a_page("email", kind="medication_reminder",
                      safe_text="Vigil: it is time for your 8:00 medicine.",
                      detail={"medications": [{"name": "Metformin", "dose": "500 mg",
                                               "instructions": "with food"}]})
    email_channel(sendgrid.url).send(reminder)
    mail = sendgrid.requests[0].body
    text, html = (c["value"] for c in mail["content"])
    assert "Metformin 500 mg (with food)" in text and "Metformin 500 mg (with food)" in html
    assert f"Confirm: {ACK_LINK}" in text and "Metformin" not in mail["subject"]
