"""Bearer JWTs (HS256): who the caller is, which roles they hold, which patients they may see."""

from __future__ import annotations

import time

import jwt

from services.errors import VigilError
from services.principal import ROLES, STAFF_ROLES, Principal  # noqa: F401 - re-exported
from settings import get_settings


def mint_token(sub: str, roles: list[str], ttl_s: int = 3600,
               patients: list[str] | None = None) -> str:
    """A signed token for `sub`; the dev command and the tests use this."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}")
    settings = get_settings()
    claims = {"sub": sub, "roles": roles, "exp": int(time.time()) + ttl_s,
              "iss": settings.jwt_issuer}
    if patients:
        claims["patients"] = patients
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def decode_token(token: str) -> Principal:
    """Verify signature, expiry and claims; raise a 401 VigilError otherwise."""
    settings = get_settings()
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"],
                            issuer=settings.jwt_issuer,
                            options={"require": ["sub", "exp", "roles"]})
    except jwt.ExpiredSignatureError:
        raise VigilError(401, "token_expired", "The bearer token has expired.")
    except jwt.PyJWTError as error:
        raise VigilError(401, "invalid_token", f"The bearer token is not valid: {error}.")
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise VigilError(401, "invalid_token", "The token's roles claim must be a list of names.")
    # A string or an object would be read as a list of its characters or keys: refuse it.
    patients = claims.get("patients", [])
    if not isinstance(patients, list) or not all(isinstance(p, str) for p in patients):
        raise VigilError(401, "invalid_token", "The token's patients claim must be a list of ids.")
    return Principal(sub=str(claims["sub"]), roles=tuple(roles), patients=tuple(patients))
