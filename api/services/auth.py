"""Authentication: password login with back-off and lock-out, bearer tokens, sessions.

A login creates a *session* credential (idle timeout ``session_timeout_minutes``); an
administrator creates long-lived *token* credentials with ``bukti users token``. Both are
bearer secrets stored only as SHA-256; a session's secret is also set as an HttpOnly cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from api.errors import (
    AccountLockedError,
    AuthenticationError,
    LoginFailedError,
    LoginThrottledError,
)
from api.services.credentials import (
    LoginPolicy,
    PasswordHashing,
    new_opaque_id,
    new_token,
    token_digest,
)
from api.services.roles import Principal, Role
from api.store import staff
from ledger.storage.engine import write_transaction

__all__ = ["AuthService", "LoginResult"]

#: A credential's last use is written at most this often (sliding session expiry).
_TOUCH_EVERY_MS = 60_000


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str  # shown once
    principal: Principal
    expires_at: int  # UTC ms


class AuthService:
    """Checks passwords and bearer credentials against the staff tables."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], int],
        random_bytes: Callable[[int], bytes],
        session_timeout_ms: int,
        policy: LoginPolicy,
        hashing: PasswordHashing,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._random = random_bytes
        self._session_ms = session_timeout_ms
        self._policy = policy
        self._hashing = hashing

    def login(self, username: str, password: str) -> LoginResult:
        """Open a session; raises on a wrong password, a throttled or a locked user name."""
        now = self._clock()
        name = username.strip().lower()
        with self._engine.connect() as conn:
            throttle = staff.throttle_for(conn, name)
            user = staff.user_by_username(conn, name)
        self._check_throttle(throttle, now)
        # Verify even for an unknown user so timing does not reveal which names exist.
        ok = self._hashing.verify(user.password_hash if user else None, password)
        if not ok or user is None or user.revoked_at is not None:
            self._record_failure(name, throttle, now)
            raise LoginFailedError(
                "expected a valid user name and password, found a wrong combination",
                "Nama pengguna atau kata sandi salah.",
            )
        token = new_token(self._random)
        credential = staff.CredentialRow(
            id=new_opaque_id("s-", self._random),
            user_id=user.id,
            kind="session",
            label="login",
            created_at=now,
            last_used_at=now,
            expires_at=now + self._session_ms,
            revoked_at=None,
        )
        with write_transaction(self._engine) as conn:
            staff.insert_credential(conn, credential, token_digest(token))
            if throttle is not None:
                staff.reset_throttle(conn, name)
        principal = Principal(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            office=user.office,
            credential_id=credential.id,
            credential_kind="session",
        )
        return LoginResult(token=token, principal=principal, expires_at=now + self._session_ms)

    def _check_throttle(self, throttle: staff.ThrottleRow | None, now: int) -> None:
        if throttle is None:
            return
        if throttle.locked_until is not None and now < throttle.locked_until:
            wait = -(-(throttle.locked_until - now) // 1000)
            raise AccountLockedError(
                f"expected fewer than {self._policy.max_failures} failed logins, found "
                f"{throttle.failures}; the user name is locked for {wait} s",
                "Akun dikunci karena terlalu banyak percobaan masuk; "
                f"coba lagi dalam {wait} detik.",
                retry_after_s=wait,
            )
        if now < throttle.next_allowed_at:
            wait = -(-(throttle.next_allowed_at - now) // 1000)
            raise LoginThrottledError(
                f"expected a pause after a failed login, found a retry {wait} s too early",
                f"Tunggu {wait} detik sebelum mencoba masuk lagi.",
                retry_after_s=wait,
            )

    def _record_failure(self, name: str, throttle: staff.ThrottleRow | None, now: int) -> None:
        previous = throttle.failures if throttle is not None else 0
        if throttle is not None and throttle.locked_until is not None:
            previous = 0  # the lock ran out: start counting again
        failures = previous + 1
        locked_until = now + self._policy.lock_ms if self._policy.locks(failures) else None
        row = staff.ThrottleRow(
            username=name[:64],
            failures=failures,
            next_allowed_at=now + self._policy.backoff_ms(failures),
            locked_until=locked_until,
        )
        with write_transaction(self._engine) as conn:
            staff.write_throttle(conn, row, now)

    def authenticate(self, token: str | None) -> Principal:
        """The principal of a bearer token or session cookie; raises when missing or invalid."""
        if not token:
            raise AuthenticationError(
                "expected a bearer token or session cookie, found none",
                "Silakan masuk terlebih dahulu (token atau sesi tidak ada).",
            )
        now = self._clock()
        with self._engine.connect() as conn:
            found = staff.credential_by_digest(conn, token_digest(token))
        if found is None:
            raise AuthenticationError(
                "expected a valid credential, found an unknown token",
                "Token atau sesi tidak dikenal.",
            )
        credential, user = found
        if credential.revoked_at is not None or user.revoked_at is not None:
            raise AuthenticationError(
                "expected an active credential, found a revoked one",
                "Token atau sesi telah dicabut.",
            )
        if credential.expires_at is not None and now >= credential.expires_at:
            raise AuthenticationError(
                "expected an unexpired session, found one that expired",
                "Sesi telah berakhir; silakan masuk kembali.",
            )
        if now - credential.last_used_at >= _TOUCH_EVERY_MS:
            expires = now + self._session_ms if credential.kind == "session" else None
            with write_transaction(self._engine) as conn:
                staff.touch_credential(conn, credential.id, now, expires)
        return Principal(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            office=user.office,
            credential_id=credential.id,
            credential_kind=credential.kind,
        )

    def logout(self, principal: Principal) -> None:
        with write_transaction(self._engine) as conn:
            staff.revoke_credential(conn, principal.credential_id, self._clock())
