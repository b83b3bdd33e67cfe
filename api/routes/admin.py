"""Administration (role admin): staff accounts and tokens, offices and counters, schedules."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import AdminStaff, ServicesDep
from api.errors import InvalidRequestError
from api.routes.openapi import STAFF, problems
from api.routes.presenters import schedule_body
from api.schemas import (
    CounterCreate,
    CounterModel,
    OfficeCreate,
    OfficeModel,
    RevokeRequest,
    ScheduleResponse,
    TokenCreate,
    TokenResponse,
    UserCreate,
    UserModel,
)
from api.store.staff import UserRow
from ledger.schedule import parse_json, parse_toml

router = APIRouter(prefix="/api/v1", tags=["administration"])

_MAX_SCHEDULE_BYTES = 2 * 1024 * 1024


def _user(row: UserRow) -> UserModel:
    return UserModel(
        id=row.id,
        username=row.username,
        name=row.display_name,
        role=row.role,
        office=row.office,
        revoked=row.revoked_at is not None,
    )


@router.get(
    "/users", response_model=list[UserModel], responses=problems(*STAFF), summary="Staff accounts"
)
def list_users(principal: AdminStaff, services: ServicesDep) -> list[UserModel]:
    return [_user(row) for row in services.staff.users()]


@router.post(
    "/users",
    response_model=UserModel,
    status_code=201,
    responses=problems(*STAFF, 409),
    summary="Create a staff account (recorded as user.added)",
)
def add_user(body: UserCreate, principal: AdminStaff, services: ServicesDep) -> UserModel:
    row = services.staff.add_user(
        body.username,
        display_name=body.name,
        role=body.role,
        office=body.office,
        password=body.password,
        by=principal.user_id,
    )
    return _user(row)


@router.post(
    "/users/{username}/tokens",
    response_model=TokenResponse,
    status_code=201,
    responses=problems(*STAFF, 404),
    summary="Create an API token for a user (shown once)",
)
def add_token(
    username: str, body: TokenCreate, principal: AdminStaff, services: ServicesDep
) -> TokenResponse:
    issued = services.staff.issue_token(username, body.label)
    return TokenResponse(id=issued.credential_id, user_id=issued.user_id, token=issued.token)


@router.post(
    "/users/{username}/revoke",
    response_model=UserModel,
    responses=problems(*STAFF, 404),
    summary="Revoke a user and all their credentials (recorded as user.revoked)",
)
def revoke_user(
    username: str, body: RevokeRequest, principal: AdminStaff, services: ServicesDep
) -> UserModel:
    return _user(services.staff.revoke_user(username, body.reason, principal.user_id))


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    responses=problems(*STAFF, 404),
    summary="Revoke one API token or session",
)
def revoke_token(token_id: str, principal: AdminStaff, services: ServicesDep) -> Response:
    services.staff.revoke_token(token_id)
    return Response(status_code=204)


@router.post(
    "/offices",
    response_model=OfficeModel,
    status_code=201,
    responses=problems(*STAFF, 409),
    summary="Register an office (office.added)",
)
def add_office(body: OfficeCreate, principal: AdminStaff, services: ServicesDep) -> OfficeModel:
    office = services.directory.add_office(body.code, body.name, body.area, principal.user_id)
    return OfficeModel(code=office.code, name=office.name, area=office.area, counters=[])


@router.post(
    "/offices/{office}/counters",
    response_model=CounterModel,
    status_code=201,
    responses=problems(*STAFF, 404, 409),
    summary="Register a counter of an office (counter.added)",
)
def add_counter(
    office: str, body: CounterCreate, principal: AdminStaff, services: ServicesDep
) -> CounterModel:
    counter = services.directory.add_counter(office, body.code, body.name, principal.user_id)
    return CounterModel(code=counter.code, name=counter.name)


@router.post(
    "/schedules",
    response_model=ScheduleResponse,
    status_code=201,
    responses=problems(*STAFF, 409, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/toml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
    summary="Publish a schedule version (TOML or JSON document)",
)
async def publish_schedule(
    request: Request, principal: AdminStaff, services: ServicesDep
) -> ScheduleResponse:
    raw = await request.body()
    if len(raw) > _MAX_SCHEDULE_BYTES:
        raise InvalidRequestError(
            f"expected a schedule document of at most {_MAX_SCHEDULE_BYTES} bytes, "
            f"found {len(raw)}",
            "Dokumen tarif terlalu besar.",
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        document = parse_json(raw)
    else:
        try:
            document = parse_toml(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidRequestError(
                "expected a UTF-8 TOML or JSON schedule document, found other bytes",
                "Dokumen tarif harus TOML atau JSON (UTF-8).",
            ) from None
    published = await run_in_threadpool(services.schedules.publish, document, principal.user_id)
    return schedule_body(published, with_document=True)
