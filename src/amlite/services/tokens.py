"""Signing and checking bearer tokens, and hashing secrets.

Tokens are RS256 JWTs shaped like Microsoft Entra ID's (``tid``, ``oid``, ``aud``, ``iat``,
``exp``), because some clients read ``tid`` and ``aud`` without verifying. The signing key is made
on first start and kept in the store (``services.server_keys``); its public half is published as a
JWKS.
Secrets and passwords are hashed with scrypt, a slow KDF from the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from amlite.domain.errors import AuthenticationFailed

MANAGEMENT_AUDIENCE = "https://management.azure.com/"
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
#: A job's token (``JOB_CLAIM``) lasts as long as the job does, up to this; it is refused once the job ends.
JOB_TOKEN_LIFETIME = timedelta(days=30)
#: The claim that makes a token a job's: the key of the job whose end ends the token.
JOB_CLAIM = "amlite_job"
REFRESH_TOKEN_LIFETIME = timedelta(days=14)

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        actual = hashlib.scrypt(
            secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(digest))
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))


def new_secret() -> str:
    return secrets.token_urlsafe(30)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    tenant_id: str
    object_id: str
    name: str
    principal_type: str  # "User" or "ServicePrincipal"
    expires_at: datetime
    job_key: str | None = None  # a job's token: valid only while that job has not ended


class SigningKey:
    """The server's RSA key (PKCS#8 PEM, made by :func:`new_private_key_pem`, kept in the store)."""

    def __init__(self, pem: bytes) -> None:
        self._key = serialization.load_pem_private_key(pem, password=None)
        public_der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(public_der).hexdigest()[:32]

    @property
    def private(self) -> Any:
        return self._key

    @property
    def public(self) -> Any:
        return self._key.public_key()

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.public, as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}


def new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


#: How far the clocks of the token's issuer and its reader may disagree.
LEEWAY_SECONDS = 30


def _check_lifetime(claims: dict[str, Any], now: datetime) -> None:
    """The library's expiry and not-before checks, at ``now``."""
    at = now.timestamp()
    try:
        expires = float(claims["exp"])
        not_before = float(claims["nbf"]) if "nbf" in claims else None
    except (TypeError, ValueError):
        raise jwt.InvalidTokenError("the exp and nbf claims must be numbers") from None
    if expires <= at - LEEWAY_SECONDS:
        raise jwt.ExpiredSignatureError("Signature has expired")
    if not_before is not None and not_before > at + LEEWAY_SECONDS:
        raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")


#: Tokens whose signature and audience were checked, remembered per process (a client sends the
#: same token with every request for its hour; the RSA check and PyJWT's parsing were about a
#: tenth of a request's CPU).
VERIFIED_CACHE_SIZE = 1024


class TokenService:
    def __init__(self, key: SigningKey, issuer_base: str) -> None:
        self._key = key
        self._issuer_base = issuer_base.rstrip("/")
        # (token, audiences) -> the decoded claims: only what the signature vouches for, never a
        # judgement that depends on the time; lifetime, issuer, tenant and kind are checked on
        # every use, so an expired token is refused whether it was remembered or not.
        self._verified: dict[tuple[str, str | tuple[str, ...]], dict[str, Any]] = {}
        self._verified_lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        return self._key.jwks()

    def issuer(self, tenant_id: str) -> str:
        return f"{self._issuer_base}/{tenant_id}/v2.0"

    def issue(
        self, *, tenant_id: str, object_id: str, name: str, principal_type: str, now: datetime,
        audience: str = MANAGEMENT_AUDIENCE, refresh: bool = False, extra: dict[str, Any] | None = None,
        job_key: str | None = None,
    ) -> tuple[str, datetime]:
        """A signed token; with ``job_key``, a job's: it lasts ``JOB_TOKEN_LIFETIME`` and is honoured
        only while that job has not ended (``services.context.admit_principal``)."""
        lifetime = REFRESH_TOKEN_LIFETIME if refresh else JOB_TOKEN_LIFETIME if job_key else ACCESS_TOKEN_LIFETIME
        expires = now + lifetime
        claims: dict[str, Any] = {
            "iss": self.issuer(tenant_id), "aud": audience, "tid": tenant_id, "oid": object_id,
            "sub": object_id, "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()), "name": name, "idtyp": "user" if principal_type == "User" else "app",
            "ver": "2.0", "jti": secrets.token_hex(8),
        }
        if refresh:
            claims["typ"] = "refresh"
        claims.update(extra or {})
        if job_key:
            claims[JOB_CLAIM] = job_key
        token = jwt.encode(claims, self._key.private, algorithm="RS256", headers={"kid": self._key.kid})
        return token, expires

    def verify(self, token: str, *, now: datetime, audience: str | tuple[str, ...] = MANAGEMENT_AUDIENCE, refresh: bool = False,
               tenant_id: str | None = None) -> TokenClaims:
        """Check signature, expiry, audience and tenant; every failure is a 401 with its own code.
        Expiry and not-before are judged at ``now`` (the services' clock), not at the library's own
        reading of the system time, so one clock decides every lifetime."""
        try:
            claims = self._decoded(token, audience)
            _check_lifetime(claims, now)
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time.") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationFailed(
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource. "
                f"It should be '{audience if isinstance(audience, str) else audience[0]}'.",
            ) from None
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("InvalidAuthenticationToken", f"The access token is invalid: {exc}.") from None
        if claims["iss"] != self.issuer(claims["tid"]):
            raise AuthenticationFailed("InvalidAuthenticationTokenTenant", "The access token is from a wrong issuer.")
        if tenant_id is not None and claims["tid"] != tenant_id:
            raise AuthenticationFailed(
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong tenant '{claims['tid']}'; this server serves tenant '{tenant_id}'.",
            )
        if bool(claims.get("typ") == "refresh") != refresh:
            raise AuthenticationFailed("InvalidAuthenticationToken", "The token is not of the expected kind.")
        return TokenClaims(
            tenant_id=claims["tid"], object_id=claims["oid"], name=str(claims.get("name", "")),
            principal_type="User" if claims.get("idtyp") == "user" else "ServicePrincipal",
            expires_at=datetime.fromtimestamp(claims["exp"], tz=timezone.utc),
            job_key=str(claims[JOB_CLAIM]) if claims.get(JOB_CLAIM) else None,
        )

    def _decoded(self, token: str, audience: str | tuple[str, ...]) -> dict[str, Any]:
        """The claims of a token whose signature and audience check out (``jwt`` errors raise),
        remembered for the next request with the same token: a bounded map, oldest out first."""
        key = (token, audience)
        claims = self._verified.get(key)
        if claims is not None:
            return claims
        claims = jwt.decode(
            token, self._key.public, algorithms=["RS256"], audience=list(audience) if isinstance(audience, tuple) else audience,
            options={"require": ["exp", "iat", "tid", "oid", "aud", "iss"], "verify_iat": False,
                     "verify_exp": False, "verify_nbf": False},
        )
        with self._verified_lock:
            while len(self._verified) >= VERIFIED_CACHE_SIZE:
                del self._verified[next(iter(self._verified))]
            self._verified[key] = claims
        return claims
