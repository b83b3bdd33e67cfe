"""Queries on staff accounts, their credentials and login throttling.

Every function takes a :class:`~sqlalchemy.Connection` inside the caller's transaction;
nothing here commits. Rows come back as frozen dataclasses, not ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from api.store.tables import login_throttle, staff_credentials, staff_users

__all__ = [
    "CredentialRow",
    "ThrottleRow",
    "UserRow",
    "credential_by_digest",
    "credential_by_id",
    "insert_credential",
    "insert_user",
    "list_users",
    "reset_throttle",
    "revoke_credential",
    "revoke_user",
    "set_added_seq",
    "throttle_for",
    "touch_credential",
    "user_by_id",
    "user_by_username",
    "write_throttle",
]


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    username: str
    display_name: str
    role: str
    office: str | None
    password_hash: str
    created_at: int
    revoked_at: int | None
    added_seq: int | None


@dataclass(frozen=True, slots=True)
class CredentialRow:
    id: str
    user_id: str
    kind: str
    label: str
    created_at: int
    last_used_at: int
    expires_at: int | None
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class ThrottleRow:
    username: str
    failures: int
    next_allowed_at: int
    locked_until: int | None


def _user(row: object) -> UserRow:
    m = row._mapping  # type: ignore[attr-defined]
    return UserRow(**{k: m[k] for k in UserRow.__slots__})


def _credential(row: object) -> CredentialRow:
    m = row._mapping  # type: ignore[attr-defined]
    return CredentialRow(**{k: m[k] for k in CredentialRow.__slots__})


def insert_user(conn: Connection, user: UserRow) -> None:
    conn.execute(insert(staff_users).values({k: getattr(user, k) for k in UserRow.__slots__}))


def set_added_seq(conn: Connection, user_id: str, seq: int) -> None:
    conn.execute(update(staff_users).where(staff_users.c.id == user_id).values(added_seq=seq))


def user_by_username(conn: Connection, username: str) -> UserRow | None:
    row = conn.execute(select(staff_users).where(staff_users.c.username == username)).first()
    return _user(row) if row is not None else None


def user_by_id(conn: Connection, user_id: str) -> UserRow | None:
    row = conn.execute(select(staff_users).where(staff_users.c.id == user_id)).first()
    return _user(row) if row is not None else None


def list_users(conn: Connection) -> list[UserRow]:
    rows = conn.execute(select(staff_users).order_by(staff_users.c.username)).all()
    return [_user(r) for r in rows]


def revoke_user(conn: Connection, user_id: str, now_ms: int) -> None:
    """Mark the user revoked and revoke every credential they hold."""
    conn.execute(
        update(staff_users)
        .where(staff_users.c.id == user_id, staff_users.c.revoked_at.is_(None))
        .values(revoked_at=now_ms)
    )
    conn.execute(
        update(staff_credentials)
        .where(staff_credentials.c.user_id == user_id, staff_credentials.c.revoked_at.is_(None))
        .values(revoked_at=now_ms)
    )


def insert_credential(conn: Connection, credential: CredentialRow, token_hash: str) -> None:
    values = {k: getattr(credential, k) for k in CredentialRow.__slots__}
    conn.execute(insert(staff_credentials).values(token_hash=token_hash, **values))


#: Every authenticated request runs this: built once, so each call reuses its compiled form.
_CREDENTIAL_BY_DIGEST = (
    select(
        *[staff_credentials.c[k] for k in CredentialRow.__slots__],
        *[staff_users.c[k].label(f"u__{k}") for k in UserRow.__slots__],
    )
    .join(staff_users, staff_users.c.id == staff_credentials.c.user_id)
    .where(staff_credentials.c.token_hash == bindparam("token_hash"))
)
_CREDENTIAL_FIELDS = len(CredentialRow.__slots__)


def credential_by_digest(conn: Connection, token_hash: str) -> tuple[CredentialRow, UserRow] | None:
    """The credential with this token digest and its user, or ``None``."""
    row = conn.execute(_CREDENTIAL_BY_DIGEST, {"token_hash": token_hash}).first()
    if row is None:
        return None
    # Columns come in the order selected: the credential's fields, then the user's.
    credential = CredentialRow(*row[:_CREDENTIAL_FIELDS])
    user = UserRow(*row[_CREDENTIAL_FIELDS:])
    return credential, user


def credential_by_id(conn: Connection, credential_id: str) -> CredentialRow | None:
    row = conn.execute(
        select(staff_credentials).where(staff_credentials.c.id == credential_id)
    ).first()
    return _credential(row) if row is not None else None


def revoke_credential(conn: Connection, credential_id: str, now_ms: int) -> bool:
    """Revoke one credential; ``False`` when it was already revoked or does not exist."""
    result = conn.execute(
        update(staff_credentials)
        .where(staff_credentials.c.id == credential_id, staff_credentials.c.revoked_at.is_(None))
        .values(revoked_at=now_ms)
    )
    return result.rowcount == 1


def touch_credential(
    conn: Connection, credential_id: str, now_ms: int, expires_at: int | None
) -> None:
    """Record use of a credential; a session's idle expiry slides forward."""
    values: dict[str, int] = {"last_used_at": now_ms}
    if expires_at is not None:
        values["expires_at"] = expires_at
    conn.execute(
        update(staff_credentials).where(staff_credentials.c.id == credential_id).values(values)
    )


def throttle_for(conn: Connection, username: str) -> ThrottleRow | None:
    row = conn.execute(select(login_throttle).where(login_throttle.c.username == username)).first()
    if row is None:
        return None
    m = row._mapping
    return ThrottleRow(m["username"], m["failures"], m["next_allowed_at"], m["locked_until"])


def write_throttle(conn: Connection, row: ThrottleRow, now_ms: int) -> None:
    values = {
        "failures": row.failures,
        "next_allowed_at": row.next_allowed_at,
        "locked_until": row.locked_until,
        "updated_at": now_ms,
    }
    updated = conn.execute(
        update(login_throttle).where(login_throttle.c.username == row.username).values(values)
    )
    if updated.rowcount == 0:
        conn.execute(insert(login_throttle).values(username=row.username, **values))


def reset_throttle(conn: Connection, username: str) -> None:
    conn.execute(login_throttle.delete().where(login_throttle.c.username == username))
