"""Email acknowledge links: only the genuine, unexpired link for a page names its attempt."""

import pytest

from api.auth import decode_token, mint_token
from api.errors import VigilError
from channels.ack_links import (
    AckClaim,
    ExpiredAckLink,
    InvalidAckLink,
    ack_link_builder,
    ack_token,
    read_ack_token,
)
from settings import get_settings
from tests.fakes.pages import a_page

SECRET = "unit-test-secret-0123456789abcdef"


def test_a_link_names_the_attempt_and_the_person_it_was_sent_to():
    link = ack_link_builder("https://vigil.example/", secret=SECRET, ttl_s=60)(a_page("email"))
    assert link.startswith("https://vigil.example/ack/")
    claim = read_ack_token(link.rsplit("/", 1)[1], secret=SECRET)
    assert claim == AckClaim(attempt_id="att-0001", staff_id="staff-17")


def test_an_expired_link_is_refused():
    token = ack_token(AckClaim("att-1", "s1"), secret=SECRET, ttl_s=-1)
    with pytest.raises(ExpiredAckLink):
        read_ack_token(token, secret=SECRET)


def test_a_link_signed_with_another_secret_is_refused():
    token = ack_token(AckClaim("att-1", "s1"), secret="another-secret-0123456789abcdef-x", ttl_s=60)
    with pytest.raises(InvalidAckLink):
        read_ack_token(token, secret=SECRET)


def test_an_altered_link_is_refused():
    token = ack_token(AckClaim("att-1", "s1"), secret=SECRET, ttl_s=60)
    head, body, sig = token.split(".")
    with pytest.raises(InvalidAckLink):
        read_ack_token(f"{head}.{body}x.{sig}", secret=SECRET)


def test_a_bearer_token_is_not_a_link_and_a_link_is_not_a_bearer_token():
    secret = get_settings().jwt_secret
    with pytest.raises(InvalidAckLink):
        read_ack_token(mint_token("s1", ["admin"]), secret=secret)
    link = ack_token(AckClaim("att-1", "s1"), secret=secret, ttl_s=60)
    with pytest.raises(VigilError) as refused:
        decode_token(link)
    assert refused.value.status == 401


def test_a_medication_reminders_link_also_names_its_dose():
    reminder = a_page("email", kind="medication_reminder", detail={"dose_id": "2026-03-29T08:00"})
    link = ack_link_builder("https://vigil.example/", secret=SECRET, ttl_s=60)(reminder)
    claim = read_ack_token(link.rsplit("/", 1)[1], secret=SECRET)
    assert claim == AckClaim("att-0001", "staff-17", dose_id="2026-03-29T08:00")


def test_a_reminder_email_links_to_its_answer_page_and_appointment_news_carries_no_link() -> None:
    from channels.ack_links import ack_link_builder, read_ack_token
    from channels.base import OutboundMessage, Recipient

    link = ack_link_builder("https://vigil.example", secret="s" * 32, ttl_s=60)

    def message(kind: str) -> OutboundMessage:
        return OutboundMessage(attempt_id="a-1", channel="email", subject_id="appointment-1",
                               kind=kind, recipient=Recipient(staff_id="patient-1", name="P"),
                               severity="", short_code="", location_text="", safe_text="x")

    reminder = link(message("appointment_reminder"))
    assert reminder is not None and reminder.startswith("https://vigil.example/ack/appointment/")
    claim = read_ack_token(reminder.rsplit("/", 1)[1], secret="s" * 32)
    assert (claim.attempt_id, claim.staff_id) == ("a-1", "patient-1")
    assert link(message("appointment")) is None and link(message("appointment_family")) is None
    page = link(message("page"))
    assert page is not None and page.startswith("https://vigil.example/ack/") and "/appointment/" not in page
