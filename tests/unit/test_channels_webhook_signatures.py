"""Inbound webhook signatures, checked against the providers' own published examples."""

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from channels.sendgrid_email import sendgrid_event_signature_valid
from channels.twilio_webhooks import twilio_signature_valid

# Twilio's worked example ("Validating requests", twilio.com/docs/usage/security).
TWILIO_TOKEN = "12345"
TWILIO_URL = "https://example.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
TWILIO_SIGNATURE = "L/OH5YylLD5NRKLltdqwSvS0BnU="

# SendGrid's published Signed Event Webhook vector (the test fixture shared by
# its official Python, Node, Java, Ruby, PHP and Go libraries).
SENDGRID_PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBce"
    "pxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
)
SENDGRID_PAYLOAD = b'{"category":"example_payload","event":"test_event","message_id":"message_id"}'
SENDGRID_SIGNATURE = (
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nl"
    "xFDWYNH2j/0="
)
SENDGRID_TIMESTAMP = "1588788367"


def test_twilio_documented_example_is_valid():
    assert twilio_signature_valid(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, TWILIO_SIGNATURE)


def test_twilio_signature_fails_on_any_change():
    tampered = {**TWILIO_PARAMS, "Digits": "2"}
    assert not twilio_signature_valid(TWILIO_TOKEN, TWILIO_URL, tampered, TWILIO_SIGNATURE)
    assert not twilio_signature_valid("54321", TWILIO_URL, TWILIO_PARAMS, TWILIO_SIGNATURE)
    other_url = TWILIO_URL.replace("bar=2", "bar=3")
    assert not twilio_signature_valid(TWILIO_TOKEN, other_url, TWILIO_PARAMS, TWILIO_SIGNATURE)
    assert not twilio_signature_valid(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, "")
    assert not twilio_signature_valid(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, None)


def test_sendgrid_published_example_is_valid():
    assert sendgrid_event_signature_valid(
        SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD, SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP
    )


def test_sendgrid_signature_fails_on_changed_body_or_timestamp():
    changed = SENDGRID_PAYLOAD.replace(b"test_event", b"bounce")
    assert not sendgrid_event_signature_valid(
        SENDGRID_PUBLIC_KEY, changed, SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP
    )
    assert not sendgrid_event_signature_valid(
        SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD, SENDGRID_SIGNATURE, "1388788367"
    )


def _key_pair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def _sign(private: ec.EllipticCurvePrivateKey, timestamp: str, payload: bytes) -> str:
    signature = private.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def test_sendgrid_signature_from_our_own_key_pair_is_valid():
    private, public_b64 = _key_pair()
    payload = b'[{"email":"a@b.example","event":"delivered","attempt_id":"att-1"}]'
    signature = _sign(private, "1700000000", payload)
    assert sendgrid_event_signature_valid(public_b64, payload, signature, "1700000000")


def test_sendgrid_forged_signature_is_rejected():
    _, public_b64 = _key_pair()
    forger, _ = _key_pair()
    payload = b'[{"event":"delivered"}]'
    forged = _sign(forger, "1700000000", payload)
    assert not sendgrid_event_signature_valid(public_b64, payload, forged, "1700000000")


def test_sendgrid_malformed_inputs_are_invalid_not_errors():
    args = (SENDGRID_PAYLOAD, SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP)
    assert not sendgrid_event_signature_valid("not-a-key", *args)
    assert not sendgrid_event_signature_valid("", *args)
    assert not sendgrid_event_signature_valid(
        SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD, "%%%", SENDGRID_TIMESTAMP
    )
    assert not sendgrid_event_signature_valid(
        SENDGRID_PUBLIC_KEY, b"\xff\xfe", SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP
    )
