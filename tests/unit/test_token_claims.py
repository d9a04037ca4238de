"""A token's claims are what they say they are: roles and patients are lists of names."""

from __future__ import annotations

import time

import jwt
import pytest

from api.auth import decode_token
from services.errors import VigilError
from settings import get_settings


def signed(**claims: object) -> str:
    settings = get_settings()
    body = {"sub": "fam-1", "roles": ["family"], "exp": int(time.time()) + 60,
            "iss": settings.jwt_issuer, **claims}
    return jwt.encode(body, settings.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize("patients", ["patient-001", {"patient-001": 1}, ["patient-001", 1],
                                      [["patient-001"]], None, 7])
def test_a_patients_claim_that_is_not_a_list_of_ids_is_an_invalid_token(patients: object) -> None:
    with pytest.raises(VigilError) as refused:
        decode_token(signed(patients=patients))
    assert (refused.value.status, refused.value.code) == (401, "invalid_token")


def test_a_list_of_patient_ids_or_none_at_all_is_accepted() -> None:
    assert decode_token(signed(patients=["patient-001", "patient-002"])).patients == (
        "patient-001", "patient-002")
    assert decode_token(signed()).patients == ()
