import pytest

from channels.base import PermanentChannelError, TransientChannelError
from channels.provider_errors import error_for_status, provider_errors


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_timeouts_throttling_and_server_errors_are_transient(status):
    assert isinstance(error_for_status(status, "x"), TransientChannelError)


@pytest.mark.parametrize("status", [0, 400, 401, 403, 404, 422])
def test_other_client_errors_are_permanent(status):
    assert isinstance(error_for_status(status, "x"), PermanentChannelError)


class FakeHttpError(Exception):
    def __init__(self, status):
        self.status = status


def _describe(exc):
    return exc.status, "provider says no"


def test_provider_http_error_keeps_the_providers_message():
    with pytest.raises(PermanentChannelError, match="acme HTTP 400: provider says no") as raised:
        with provider_errors("acme", FakeHttpError, _describe):
            raise FakeHttpError(400)
    assert isinstance(raised.value.__cause__, FakeHttpError)


@pytest.mark.parametrize("exc", [ConnectionRefusedError(), TimeoutError(), OSError("reset")])
def test_network_failures_are_transient(exc):
    with pytest.raises(TransientChannelError, match="acme unreachable"):
        with provider_errors("acme", FakeHttpError, _describe):
            raise exc


def test_unrelated_exceptions_pass_through():
    with pytest.raises(KeyError):
        with provider_errors("acme", FakeHttpError, _describe):
            raise KeyError("bug")
