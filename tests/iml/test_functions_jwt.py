"""The jwt function: tokens that PyJWT verifies, the claims derived from options, and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from imlconnect.iml.errors import IMLRuntimeError
from imlconnect.iml.functions.jwtfn import jwt
from imlconnect.iml.limits import Limits

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
NOW_SECONDS = 1714557600
SECRET = "a-shared-secret-" * 4  # 64 bytes, long enough for HS512


@dataclass
class StubCall:
    """A stand-in for CallContext with the attributes jwt reads."""

    name: str = "jwt"
    timezone: str = "UTC"
    now: datetime = NOW
    limits: Limits = field(default_factory=Limits)


def decode(
    token: str, key: Any = SECRET, algorithms: tuple[str, ...] = ("HS256",), **options: Any
) -> dict[str, Any]:
    return pyjwt.decode(
        token,
        key,
        algorithms=list(algorithms),
        options={
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "verify_aud": False,
            **options,
        },
    )


@pytest.fixture(scope="module")
def rsa_pair() -> tuple[str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private.public_key()


def test_hs256_verifies() -> None:
    token = jwt(StubCall(), {"sub": "42"}, SECRET)
    assert decode(token)["sub"] == "42"


def test_adds_issued_at() -> None:
    token = jwt(StubCall(), {"sub": "42"}, SECRET)
    assert decode(token)["iat"] == NOW_SECONDS


def test_keeps_payload_issued_at() -> None:
    token = jwt(StubCall(), {"iat": 5}, SECRET)
    assert decode(token)["iat"] == 5


def test_no_timestamp_option() -> None:
    token = jwt(StubCall(), {"sub": "42"}, SECRET, "HS256", {"noTimestamp": True})
    assert "iat" not in decode(token)


@pytest.mark.parametrize(
    ("span", "seconds"),
    [(60, 60), ("2h", 7200), ("7d", 604800), ("90s", 90), ("1500", 1), ("1.5 hours", 5400)],
)
def test_expires_in(span: Any, seconds: int) -> None:
    token = jwt(StubCall(), {}, SECRET, "HS256", {"expiresIn": span})
    assert decode(token)["exp"] == NOW_SECONDS + seconds


def test_not_before() -> None:
    token = jwt(StubCall(), {}, SECRET, "HS256", {"notBefore": "10m"})
    assert decode(token)["nbf"] == NOW_SECONDS + 600


def test_registered_claims() -> None:
    options = {"audience": "api", "issuer": "me", "subject": "you", "jwtid": "j1"}
    claims = decode(jwt(StubCall(), {}, SECRET, "HS256", options))
    assert (claims["aud"], claims["iss"], claims["sub"], claims["jti"]) == ("api", "me", "you", "j1")


def test_expires_conflict() -> None:
    with pytest.raises(IMLRuntimeError, match="conflicts"):
        jwt(StubCall(), {"exp": 1}, SECRET, "HS256", {"expiresIn": 60})


def test_key_id_header() -> None:
    token = jwt(StubCall(), {}, SECRET, "HS256", {"keyid": "key-7"})
    assert pyjwt.get_unverified_header(token)["kid"] == "key-7"


def test_extra_header_fields() -> None:
    token = jwt(StubCall(), {}, SECRET, "HS256", {"header": {"x5t": "abc", "alg": "none"}})
    header = pyjwt.get_unverified_header(token)
    assert header["x5t"] == "abc"
    assert header["alg"] == "HS256"


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_hmac_algorithms(algorithm: str) -> None:
    token = jwt(StubCall(), {"a": 1}, SECRET, algorithm)
    assert decode(token, algorithms=(algorithm,))["a"] == 1


def test_binary_secret() -> None:
    token = jwt(StubCall(), {"a": 1}, SECRET.encode())
    assert decode(token)["a"] == 1


def test_rs256_verifies(rsa_pair: tuple[str, Any]) -> None:
    pem, public_key = rsa_pair
    token = jwt(StubCall(), {"sub": "svc"}, pem, "RS256")
    assert decode(token, public_key, ("RS256",))["sub"] == "svc"


def test_rs256_rejects_secret() -> None:
    with pytest.raises(IMLRuntimeError, match="PEM private key"):
        jwt(StubCall(), {}, SECRET, "RS256")


def test_hs256_rejects_pem(rsa_pair: tuple[str, Any]) -> None:
    pem, _ = rsa_pair
    with pytest.raises(IMLRuntimeError) as caught:
        jwt(StubCall(), {}, pem, "HS256")
    assert "PRIVATE KEY" not in str(caught.value)


def test_error_hides_secret() -> None:
    with pytest.raises(IMLRuntimeError) as caught:
        jwt(StubCall(), {}, SECRET, "RS256")
    assert SECRET not in str(caught.value)


def test_dates_in_payload_are_iso() -> None:
    token = jwt(StubCall(), {"at": NOW}, SECRET)
    assert decode(token)["at"] == "2024-05-01T10:00:00.000Z"


def test_unknown_algorithm() -> None:
    with pytest.raises(IMLRuntimeError, match="unsupported algorithm"):
        jwt(StubCall(), {}, SECRET, "ES256")
