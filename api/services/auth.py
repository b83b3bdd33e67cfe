"""Authentication: password login with back-off and lock-out, bearer tokens, sessions.

A login creates a *session* credential (idle timeout ``session_timeout_minutes``); an
administrator creates long-lived *token* credentials with ``bukti users token``. Both are
bearer secrets stored only as SHA-256; a session's secret is also set as an HttpOnly cookie.

A credential found valid is remembered for ``credential_cache_ms`` (and never past its
expiry), so a busy counter's requests do not each read the staff tables:
:meth:`AuthService.cached` answers from memory and :meth:`AuthService.authenticate` asks
the database. Every revocation in this process (logout, a revoked token or user) empties
the memory at once; one made by another process (``bukti users revoke``) is seen within
``credential_cache_ms``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

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
#: Most credentials remembered at once.
_MAX_REMEMBERED = 10_000


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
        cache_ms: int = 0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._random = random_bytes
        self._session_ms = session_timeout_ms
        self._policy = policy
        self._hashing = hashing
        self._cache_ms = cache_ms
        #: Credential digest -> (principal, trusted until, UTC ms).
        self._known: dict[str, tuple[Principal, int]] = {}
        self._known_lock = threading.Lock()
        #: Moves on every revocation: a check that began before one is not remembered.
        self._generation = 0
        #: Checks on their way to the database, by event loop and credential digest.
        self._checking: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[Principal]] = {}

    def cached(self, token: str | None) -> Principal | None:
        """The principal of a credential checked within ``credential_cache_ms``, from
        memory; ``None`` when it must be checked with :meth:`authenticate`."""
        if not token or not self._cache_ms:
            return None
        known = self._known.get(token_digest(token))
        if known is None or self._clock() >= known[1]:
            return None
        return known[0]

    async def authenticate_async(self, token: str | None) -> Principal:
        """:meth:`authenticate` for a request handler on the event loop: from memory when
        the credential was checked lately, else on a worker thread — once for all the
        requests that present the same credential meanwhile (when a busy counter's
        remembered check expires, its next requests do not each ask the database)."""
        principal = self.cached(token)
        if principal is not None:
            return principal
        if not token:
            return self.authenticate(token)  # raises: no credential, nothing to look up
        key = (asyncio.get_running_loop(), token_digest(token))
        checking = self._checking.get(key)
        if checking is None:
            checking = asyncio.ensure_future(run_in_threadpool(self.authenticate, token))
            self._checking[key] = checking
            checking.add_done_callback(lambda _done: self._checking.pop(key, None))
        return await asyncio.shield(checking)

    def forget_all(self) -> None:
        """Drop every remembered credential (after a revocation)."""
        with self._known_lock:
            self._generation += 1
            self._known.clear()

    def _remember(
        self, digest: str, principal: Principal, now: int, expires: int | None, generation: int
    ) -> None:
        if not self._cache_ms:
            return
        until = now + self._cache_ms if expires is None else min(now + self._cache_ms, expires)
        with self._known_lock:
            if generation != self._generation:
                return  # a revocation came while this was checked: do not trust it later
            if len(self._known) >= _MAX_REMEMBERED:
                self._known.clear()  # many short-lived sessions: start over, never grow
            self._known[digest] = (principal, until)

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
        digest = token_digest(token)
        generation = self._generation
        with self._engine.connect() as conn:
            found = staff.credential_by_digest(conn, digest)
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
        expires = credential.expires_at
        if now - credential.last_used_at >= _TOUCH_EVERY_MS:
            expires = now + self._session_ms if credential.kind == "session" else None
            with write_transaction(self._engine) as conn:
                staff.touch_credential(conn, credential.id, now, expires)
        principal = Principal(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            office=user.office,
            credential_id=credential.id,
            credential_kind=credential.kind,
        )
        self._remember(digest, principal, now, expires, generation)
        return principal

    def logout(self, principal: Principal) -> None:
        with write_transaction(self._engine) as conn:
            staff.revoke_credential(conn, principal.credential_id, self._clock())
        self.forget_all()
