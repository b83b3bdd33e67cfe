"""Staff accounts and API tokens.

An account lives in ``staff_users`` (user name, display name, Argon2id password hash);
the log records only its opaque id, role and office (``user.added``) and its revocation
(``user.revoked``), never a name. API tokens are random, stored as SHA-256, shown once,
and revocable one by one; revoking a user revokes all their credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete

from api.errors import DuplicateError, InvalidRequestError, NotFoundError
from api.services.credentials import PasswordHashing, new_opaque_id, new_token, token_digest
from api.services.follower import ConfigFollower
from api.services.roles import OFFICE_ROLES, Role
from api.store import staff
from api.store.tables import staff_users
from ledger.storage import AppendRequest, LogStore
from ledger.storage.engine import write_transaction

__all__ = ["IssuedToken", "StaffService"]

_USERNAME_RE = re.compile(r"[a-z][a-z0-9._-]{2,63}")
_MIN_PASSWORD = 10


@dataclass(frozen=True, slots=True)
class IssuedToken:
    credential_id: str
    user_id: str
    token: str  # shown once


class StaffService:
    def __init__(
        self,
        engine: Engine,
        store: LogStore,
        follower: ConfigFollower,
        hashing: PasswordHashing,
        *,
        clock: Callable[[], int],
        random_bytes: Callable[[int], bytes],
        on_revoked: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._follower = follower
        self._hashing = hashing
        self._clock = clock
        self._random = random_bytes
        #: Told after every revocation (the authenticator forgets what it remembered).
        self._on_revoked = on_revoked

    def add_user(
        self,
        username: str,
        *,
        display_name: str,
        role: str,
        office: str | None,
        password: str,
        by: str,
    ) -> staff.UserRow:
        """Create an account and record ``user.added``; raises on bad or duplicate input."""
        name = username.strip().lower()
        if not _USERNAME_RE.fullmatch(name):
            raise InvalidRequestError(
                f"expected a user name of 3-64 lowercase letters, digits and . _ -, found {name!r}",
                "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah, strip.",
                field="username",
            )
        try:
            the_role = Role(role)
        except ValueError:
            raise InvalidRequestError(
                f"expected a role of {', '.join(r.value for r in Role)}, found {role!r}",
                f"Peran {role!r} tidak dikenal.",
                field="role",
            ) from None
        if the_role in OFFICE_ROLES:
            if not office or office not in self._follower.current().state.offices:
                raise InvalidRequestError(
                    f"expected a registered office for role {the_role.value}, found {office!r}",
                    f"Peran {the_role.value} harus terikat pada kantor yang terdaftar.",
                    field="office",
                )
        else:
            office = None
        if len(password) < _MIN_PASSWORD:
            raise InvalidRequestError(
                f"expected a password of at least {_MIN_PASSWORD} characters, "
                f"found {len(password)}",
                f"Kata sandi minimal {_MIN_PASSWORD} karakter.",
                field="password",
            )
        if not 2 <= len(display_name.strip()) <= 200:
            raise InvalidRequestError(
                "expected a display name of 2 to 200 characters",
                "Nama tampilan harus 2–200 karakter.",
                field="name",
            )
        now = self._clock()
        row = staff.UserRow(
            id=new_opaque_id("u-", self._random),
            username=name,
            display_name=display_name.strip(),
            role=the_role.value,
            office=office,
            password_hash=self._hashing.hash(password),
            created_at=now,
            revoked_at=None,
            added_seq=None,
        )
        with write_transaction(self._engine) as conn:
            if staff.user_by_username(conn, name) is not None:
                raise DuplicateError(
                    f"expected a new user name, found {name!r} taken",
                    f"Nama pengguna {name} sudah dipakai.",
                    extra={"field": "username"},
                )
            staff.insert_user(conn, row)
        body: dict[str, Any] = {"user": row.id, "role": row.role, "by": by}
        if office is not None:
            body["office"] = office
        try:
            entry = self._store.append(AppendRequest(kind="user.added", at=now, body=body))
        except Exception:
            with write_transaction(self._engine) as conn:
                conn.execute(delete(staff_users).where(staff_users.c.id == row.id))
            raise
        with write_transaction(self._engine) as conn:
            staff.set_added_seq(conn, row.id, entry.seq)
        return row

    def user(self, username: str) -> staff.UserRow:
        with self._engine.connect() as conn:
            row = staff.user_by_username(conn, username.strip().lower())
        if row is None:
            raise NotFoundError(
                f"expected an existing user name, found {username!r}",
                f"Pengguna {username} tidak ditemukan.",
            )
        return row

    def find_user(self, reference: str) -> staff.UserRow | None:
        """The account with opaque id ``reference``, else with that user name, else ``None``."""
        with self._engine.connect() as conn:
            return staff.user_by_id(conn, reference) or staff.user_by_username(
                conn, reference.strip().lower()
            )

    def users(self) -> list[staff.UserRow]:
        with self._engine.connect() as conn:
            return staff.list_users(conn)

    def issue_token(self, username: str, label: str) -> IssuedToken:
        """A new long-lived API token for ``username``; the token is returned once."""
        user = self.user(username)
        if user.revoked_at is not None:
            raise InvalidRequestError(
                f"expected an active user, found {username!r} revoked",
                f"Pengguna {username} sudah dicabut.",
                field="username",
            )
        now = self._clock()
        token = new_token(self._random)
        credential = staff.CredentialRow(
            id=new_opaque_id("t-", self._random),
            user_id=user.id,
            kind="token",
            label=(label.strip() or "api")[:100],
            created_at=now,
            last_used_at=now,
            expires_at=None,
            revoked_at=None,
        )
        with write_transaction(self._engine) as conn:
            staff.insert_credential(conn, credential, token_digest(token))
        return IssuedToken(credential.id, user.id, token)

    def revoke_token(self, credential_id: str) -> None:
        with write_transaction(self._engine) as conn:
            if not staff.revoke_credential(conn, credential_id, self._clock()):
                raise NotFoundError(
                    f"expected an active token id, found {credential_id!r}",
                    f"Token {credential_id} tidak ada atau sudah dicabut.",
                )
        self._on_revoked()

    def revoke_user(self, username: str, reason: str, by: str) -> staff.UserRow:
        """Revoke an account and every credential it holds; records ``user.revoked``."""
        user = self.user(username)
        if user.revoked_at is not None:
            return user
        now = self._clock()
        with write_transaction(self._engine) as conn:
            staff.revoke_user(conn, user.id, now)
        self._on_revoked()
        self._store.append(
            AppendRequest(
                kind="user.revoked",
                at=now,
                body={"user": user.id, "by": by, "reason": reason.strip() or "dicabut"},
            )
        )
        return self.user(username)
