import socket
import time
import uuid

import firebase_admin
import pytest
from urllib3.util.retry import Retry

from channels.base import PermanentChannelError, Recipient, TransientChannelError
from channels.clients import firebase_app
from channels.fcm_push import FcmPushChannel
from tests.fakes.fcm_fake import (
    PROJECT_ID,
    TOKEN_PATH,
    fcm_error,
    service_account_info,
    start_fcm_fake,
)
from tests.fakes.pages import NURSE, SECRET_DETAIL, a_page
from tests.fakes.server import closed_port_url


@pytest.fixture(scope="module")
def fcm_server():
    with start_fcm_fake() as fake:
        yield fake


@pytest.fixture
def fcm(fcm_server):
    fcm_server.reset()
    return fcm_server


def make_app(token_uri: str, fcm_endpoint: str) -> firebase_admin.App:
    info = service_account_info(token_uri)
    return firebase_app(info, PROJECT_ID, fcm_endpoint, name=f"test-{uuid.uuid4()}", timeout=5)


@pytest.fixture
def push(fcm):
    app = make_app(fcm.token_uri, fcm.url)
    yield FcmPushChannel(app)
    firebase_admin.delete_app(app)


def test_push_page_is_a_high_priority_data_message(fcm, push):
    result = push.send(a_page("push"))

    (send,) = fcm.sends()
    assert send.path == f"/v1/projects/{PROJECT_ID}/messages:send"
    message = send.body["message"]
    assert message["token"] == NURSE.push_token
    assert message["data"] == {
        "emergency_id": "emg-42",
        "short_code": "K7Q",
        "severity": "CRITICAL",
        "kind": "page",
        "attempt_id": "att-0001",
        "text": "CRITICAL Ward 4B bed 12 code K7Q",
    }
    assert "notification" not in message  # data only, so the app raises the alarm itself
    assert message["android"] == {"priority": "high"}
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["apns"]["payload"]["aps"]["alert"] == {"body": message["data"]["text"]}
    assert result.provider_message_id.startswith(f"projects/{PROJECT_ID}/messages/")


def test_push_authenticates_with_a_token_from_the_service_account_exchange(fcm, push):
    push.send(a_page("push"))
    token_request, send = fcm.requests
    assert token_request.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert send.headers["authorization"] == f"Bearer {fcm.issued_tokens[0]}"


def test_push_through_the_fakes_never_looks_up_a_google_host(fcm, push, monkeypatch):
    looked_up = []
    real_getaddrinfo = socket.getaddrinfo

    def recording_getaddrinfo(host, *args, **kwargs):
        looked_up.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    push.send(a_page("push"))
    time.sleep(0.3)  # google-auth's boundary lookup would run in a background thread
    assert all(host == "127.0.0.1" for host in looked_up), looked_up


def test_push_never_carries_the_detail(fcm, push):
    push.send(a_page("push"))
    for secret in SECRET_DETAIL.values():
        assert secret.encode() not in fcm.sends()[0].raw


def test_staff_without_a_push_token_is_permanent(fcm, push):
    with pytest.raises(PermanentChannelError, match="no push token"):
        push.send(a_page("push", recipient=Recipient("s2", "No App")))
    assert fcm.requests == []


@pytest.mark.parametrize(
    ("http_status", "status", "error_code"),
    [
        (404, "NOT_FOUND", "UNREGISTERED"),
        (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
        (403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
    ],
)
def test_dead_token_is_permanent_and_marked_for_removal(fcm, push, http_status, status, error_code):
    fcm.fail_next(http_status, fcm_error(http_status, status, error_code, "Token is not valid."))
    with pytest.raises(PermanentChannelError) as raised:
        push.send(a_page("push"))
    assert raised.value.token_invalid is True


def test_apns_auth_failure_is_permanent_but_keeps_the_token(fcm, push):
    body = fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", "APNs auth")
    fcm.fail_next(401, body, times=3)
    with pytest.raises(PermanentChannelError) as raised:
        push.send(a_page("push"))
    assert not getattr(raised.value, "token_invalid", False)
    # google-auth answers a 401 by fetching a new token and retrying, twice.
    assert len(fcm.sends()) == 3 and len(fcm.issued_tokens) == 3


def test_quota_exceeded_is_transient(fcm, push):
    fcm.fail_next(429, fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded."))
    with pytest.raises(TransientChannelError, match="RESOURCE_EXHAUSTED"):
        push.send(a_page("push"))


@pytest.mark.parametrize(
    ("http_status", "status"), [(503, "UNAVAILABLE"), (500, "INTERNAL"), (502, None)]
)
def test_server_errors_are_transient_after_the_librarys_own_retries(
    fcm, push, monkeypatch, http_status, status
):
    monkeypatch.setattr(Retry, "sleep", lambda self, response=None: None)  # skip its backoff
    body = fcm_error(http_status, status, None, "The service is unavailable.") if status else None
    fcm.fail_next(http_status, body, times=5)
    with pytest.raises(TransientChannelError):
        push.send(a_page("push"))
    # firebase_admin retries 500 and 503 four times itself; other statuses are not retried.
    assert len(fcm.sends()) == (5 if http_status in (500, 503) else 1)


def test_fcm_unreachable_is_transient(fcm):
    app = make_app(fcm.token_uri, closed_port_url())
    try:
        with pytest.raises(TransientChannelError):
            FcmPushChannel(app).send(a_page("push"))
    finally:
        firebase_admin.delete_app(app)


def test_rejected_service_account_is_permanent(fcm, push):
    invalid_grant = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    fcm.fail_next(400, invalid_grant, path=TOKEN_PATH)
    with pytest.raises(PermanentChannelError, match="oauth"):
        push.send(a_page("push"))


def test_token_endpoint_unreachable_is_transient(fcm):
    app = make_app(closed_port_url() + "/token", fcm.url)
    try:
        with pytest.raises(TransientChannelError, match="oauth"):
            FcmPushChannel(app).send(a_page("push"))
    finally:
        firebase_admin.delete_app(app)


def test_a_dose_reminder_push_names_the_dose_for_its_confirm_action_not_the_medicine(fcm, push):
    push.send(a_page("push", kind="medication_reminder", subject_id="medication-1",
                     safe_text="Vigil: it is time for your 8:00 medicine. Open the app to confirm.",
                     detail={"dose_id": "2026-12-01T08:00", "medications": [{"name": "Metformin"}]}))
    (send,) = fcm.sends()
    data = send.body["message"]["data"]
    assert (data["schedule_id"], data["dose_id"]) == ("medication-1", "2026-12-01T08:00")
    assert b"Metformin" not in send.raw
