"""Staff secrets: Argon2id password hashes, bearer tokens, and the login back-off rule.

Pure apart from the Argon2 library: randomness and the clock are passed in.

- Passwords are hashed with Argon2id (RFC 9106) via ``argon2-cffi``; only the encoded
  hash is stored.
- A bearer token is ``bkt_`` + unpadded Base64url of 32 random bytes; the database keeps
  only its SHA-256 (hex), so a copy of the database does not reveal usable tokens.
- Failed logins: after each failure the next attempt must wait ``backoff_ms(failures)``
  (doubling from one second, capped); after ``max_failures`` the user name is locked.
- A session's CSRF token is derived from its secret (:func:`session_csrf_token`): a write
  authenticated by the session cookie alone must repeat it (or the pages' double-submit
  token) in a header, which another site cannot do (OWASP CSRF Prevention Cheat Sheet).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "TOKEN_PREFIX",
    "LoginPolicy",
    "PasswordHashing",
    "csrf_matches",
    "new_opaque_id",
    "new_token",
    "session_csrf_token",
    "token_digest",
]

TOKEN_PREFIX = "bkt_"  # noqa: S105 - a public prefix, not a secret
_TOKEN_BYTES = 32
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: Domain separation of the session CSRF token from every other hash of a token.
_CSRF_CONTEXT = b"bukti session csrf v1\n"


def new_token(random_bytes: Callable[[int], bytes]) -> str:
    """A fresh bearer token (shown once, never stored)."""
    raw = random_bytes(_TOKEN_BYTES)
    if len(raw) != _TOKEN_BYTES:
        raise ValueError(f"random_bytes({_TOKEN_BYTES}) returned {len(raw)} bytes")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def token_digest(token: str) -> str:
    """What the database stores for a token: SHA-256 of its UTF-8 text, lowercase hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_csrf_token(session_token: str) -> str:
    """The CSRF token of a session: unpadded Base64url of SHA-256(context || secret).

    Only a holder of the session secret can compute it, and it reveals nothing about the
    secret, so it may be handed to the client that logged in.
    """
    digest = hashlib.sha256(_CSRF_CONTEXT + session_token.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_matches(submitted: str | None, *expected: str | None) -> bool:
    """Whether ``submitted`` equals one of the non-empty ``expected`` tokens (constant time)."""
    if not submitted:
        return False
    given = submitted.encode("utf-8")
    return any(hmac.compare_digest(given, token.encode("utf-8")) for token in expected if token)


def new_opaque_id(prefix: str, random_bytes: Callable[[int], bytes], length: int = 12) -> str:
    """An opaque identifier such as ``u-7kq2m…``; carries no personal data."""
    raw = random_bytes(length)
    return prefix + "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in raw)


class PasswordHashing:
    """Argon2id hashing with a dummy hash to keep unknown-user logins equally slow."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash("bukti: no such user")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, encoded: str | None, password: str) -> bool:
        """True when ``password`` matches ``encoded``; with ``None`` burns the same time."""
        try:
            return self._hasher.verify(encoded or self._dummy, password) and encoded is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        return self._hasher.check_needs_rehash(encoded)


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """Back-off and lock-out after failed logins for one user name."""

    max_failures: int = 5
    lock_ms: int = 15 * 60_000
    first_backoff_ms: int = 1_000
    max_backoff_ms: int = 30_000

    def backoff_ms(self, failures: int) -> int:
        """How long after the ``failures``-th consecutive failure the next try must wait."""
        if failures <= 0:
            return 0
        return int(min(self.max_backoff_ms, self.first_backoff_ms * 2 ** (failures - 1)))

    def locks(self, failures: int) -> bool:
        return failures >= self.max_failures
