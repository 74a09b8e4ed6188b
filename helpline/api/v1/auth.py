"""Bearer tokens: issue, revoke, authenticate; and who the caller is."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja import Router, Status
from ninja.security import HttpBearer

from helpline.accounts.models import ApiToken, User
from helpline.accounts.services import (
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
    user_update_profile,
)
from helpline.api.v1 import presenters
from helpline.api.v1.errors import Unauthorized
from helpline.api.v1.schemas import ERRORS, MeIn, MeOut, TokenIn, TokenOut
from helpline.core.errors import PermissionDenied

MAX_KEY_LENGTH = 200  # issued keys are 43 characters; anything far longer is not ours


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > MAX_KEY_LENGTH:
            return None
        user = api_token_authenticate(token)
        if user is not None:
            request.api_key = token  # type: ignore[attr-defined]  # for DELETE /auth/token
        return user


def caller(request: HttpRequest) -> User:
    """The authenticated user of a request that passed BearerAuth."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


router = Router(tags=["auth"])


@router.post("/auth/token", auth=None, response={201: TokenOut, **ERRORS})
def token_issue(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    """Trade an email and password for a bearer token (shown once)."""
    try:
        _, raw = api_token_issue(email=payload.email, password=payload.password, name="api")
    except PermissionDenied as error:
        # Wrong credentials are a failed authentication (401), not a refused permission.
        raise Unauthorized(error.message, code=error.code) from None
    return Status(201, TokenOut(token=raw))


@router.delete("/auth/token", response={204: None, **ERRORS})
def token_revoke(request: HttpRequest) -> Status[None]:
    """Revoke the token this request was made with."""
    user = caller(request)
    token = ApiToken.objects.filter(key_hash=ApiToken.hash(request.api_key), user=user).first()  # type: ignore[attr-defined]
    if token is not None:
        api_token_revoke(actor=user, token=token)
    return Status(204, None)


@router.get("/me", response={200: MeOut, **ERRORS}, tags=["account"])
def me(request: HttpRequest) -> MeOut:
    return presenters.me(caller(request))


@router.patch("/me", response={200: MeOut, **ERRORS}, tags=["account"])
def me_update(request: HttpRequest, payload: MeIn) -> MeOut:
    """Change your own name or language (the language of the mail Helpline sends you)."""
    user = caller(request)
    return presenters.me(
        user_update_profile(actor=user, user=user, **payload.dict(exclude_unset=True))
    )
