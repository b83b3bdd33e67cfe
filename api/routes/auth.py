"""``/api/v1/auth``: password login (token + session cookie), logout, who am I.

A client that uses the session cookie instead of the bearer token sends the login's
``csrf_token`` as ``X-CSRF-Token`` on every write (:func:`api.deps.check_api_csrf`).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import SESSION_COOKIE, AnyStaff, Public, ServicesDep
from api.routes.openapi import STAFF, problems
from api.schemas import LoginRequest, LoginResponse, UserModel
from api.services.credentials import session_csrf_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginResponse,
    dependencies=[Public],
    responses=problems(401, 422, 429),
    summary="Log in with user name and password",
)
def login(body: LoginRequest, response: Response, services: ServicesDep) -> LoginResponse:
    result = services.auth.login(body.username, body.password)
    settings = services.settings
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=settings.session_timeout_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    p = result.principal
    return LoginResponse(
        token=result.token,
        expires_at=result.expires_at,
        csrf_token=session_csrf_token(result.token),
        user=UserModel(id=p.user_id, username=p.username, role=p.role.value, office=p.office),
    )


@router.post("/logout", status_code=204, responses=problems(*STAFF), summary="End this session")
def logout(principal: AnyStaff, response: Response, services: ServicesDep) -> Response:
    services.auth.logout(principal)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=UserModel, responses=problems(*STAFF), summary="Who am I")
def me(principal: AnyStaff) -> UserModel:
    return UserModel(
        id=principal.user_id,
        username=principal.username,
        role=principal.role.value,
        office=principal.office,
    )
