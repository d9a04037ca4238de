"""Fake Twilio, SendGrid and FCM servers that the real client libraries talk to on loopback."""
