"""Build the real provider clients, optionally aimed at another base URL.

Production passes no base URL and talks to the providers. Tests pass the
loopback URL of a fake from `tests/fakes/`, so the real libraries (their
request building, auth, retries and error parsing) are what gets tested.
Every client also gets a short timeout: a page that hangs for the libraries'
defaults (none for SendGrid, 120 s for Firebase) is a page not retried.
"""

from __future__ import annotations

from typing import Any

import firebase_admin
from firebase_admin import credentials as fb_credentials
from firebase_admin import messaging
from sendgrid import SendGridAPIClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

DEFAULT_TIMEOUT = 10.0


def twilio_client(
    account_sid: str, auth_token: str, base_url: str | None, *, timeout: float = DEFAULT_TIMEOUT
) -> Client:
    """A Twilio REST client; `base_url` replaces https://api.twilio.com.

    Override used: `client.api.base_url`. Every Messages and Calls request is
    built as `<api domain base_url>/2010-04-01/...` (twilio.base.domain.Domain),
    so setting that one public attribute moves them all, with no request
    rewriting; auth and the rest of the client are untouched.
    """
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    if base_url:
        client.api.base_url = base_url.rstrip("/")
    return client


def sendgrid_client(
    api_key: str, host: str | None, *, timeout: float = DEFAULT_TIMEOUT
) -> SendGridAPIClient:
    """A SendGrid client; `host` replaces https://api.sendgrid.com.

    Override used: the client's own `host` argument. The timeout is set on the
    underlying python_http_client, which SendGridAPIClient does not expose and
    which otherwise waits forever.
    """
    client = SendGridAPIClient(api_key) if host is None else SendGridAPIClient(api_key, host=host)
    client.client.timeout = timeout
    return client


def firebase_app(
    credentials: str | dict[str, Any] | fb_credentials.Base,
    project_id: str | None,
    fcm_endpoint: str | None,
    *,
    name: str = "vigil",
    timeout: float = DEFAULT_TIMEOUT,
) -> firebase_admin.App:
    """A Firebase app for FCM; `fcm_endpoint` replaces https://fcm.googleapis.com.

    `credentials` is a service-account JSON path or dict (or a ready
    credential); `project_id` defaults to the service account's. The OAuth
    token exchange goes to the account's own
    `token_uri`, so tests aim it at the fake by writing that field: no
    special credential class, and the real JWT-bearer flow is exercised.

    Override used for FCM itself: firebase_admin has no option for it; it
    formats `_MessagingService.FCM_URL` into the per-app service's `_fcm_url`
    when the service is created. We set `_fcm_url` on this app's service only
    (not the class attribute, which would redirect every app in the process).
    Both names are private, so a firebase-admin upgrade can break this; the
    FCM tests would then fail by not reaching the fake.
    """
    credential = (
        credentials
        if isinstance(credentials, fb_credentials.Base)
        else fb_credentials.Certificate(credentials)
    )
    options: dict[str, Any] = {"httpTimeout": timeout}
    if project_id:
        options["projectId"] = project_id
    app = firebase_admin.initialize_app(credential, options, name=name)
    if fcm_endpoint:
        service = messaging._get_messaging_service(app)
        service._fcm_url = f"{fcm_endpoint.rstrip('/')}/v1/projects/{app.project_id}/messages:send"
        # google-auth 2.6x follows each token refresh with a background lookup on
        # iamcredentials.googleapis.com carrying the token; an app aimed away from
        # Google must not send its token there.
        google_credential = credential.get_credential()
        if hasattr(google_credential, "_is_regional_access_boundary_lookup_required"):
            google_credential._is_regional_access_boundary_lookup_required = lambda: False
    return app
