"""Without an override the factories aim at the real providers."""

import uuid

import firebase_admin
from firebase_admin import messaging

from channels.clients import firebase_app, sendgrid_client, twilio_client
from tests.fakes.fcm_fake import service_account_info


def test_twilio_client_defaults_to_api_twilio_com():
    client = twilio_client("AC" + "0" * 32, "token", None)
    assert client.api.base_url == "https://api.twilio.com"
    assert client.http_client.timeout == 10.0


def test_twilio_client_override_moves_only_the_host():
    client = twilio_client("AC" + "0" * 32, "token", "http://127.0.0.1:9/")
    assert client.api.base_url == "http://127.0.0.1:9"


def test_sendgrid_client_defaults_to_api_sendgrid_com_with_a_timeout():
    client = sendgrid_client("SG.key", None)
    assert client.host == "https://api.sendgrid.com"
    assert client.client.timeout == 10.0


def test_firebase_app_defaults_to_fcm_googleapis_com():
    app = firebase_app(
        service_account_info("https://oauth2.googleapis.com/token"), "proj", None,
        name=f"test-{uuid.uuid4()}",
    )
    try:
        service = messaging._get_messaging_service(app)
        assert service._fcm_url == "https://fcm.googleapis.com/v1/projects/proj/messages:send"
        assert app.options.get("httpTimeout") == 10.0
    finally:
        firebase_admin.delete_app(app)
