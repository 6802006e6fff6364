"""Dependency aliases so handlers read like plain functions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.api.context import AppContext
from lrs.auth.principal import Principal
from lrs.auth.scopes import Access
from lrs.services.paging import token_codec
from lrs.settings import Settings
from lrs.xapi.paging import TokenCodec
from lrs.xapi.versions import XapiVersion


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.lrs
    return context


def get_version(request: Request) -> XapiVersion:
    version = getattr(request.state, "xapi_version", None)
    if isinstance(version, XapiVersion):
        return version
    return XapiVersion(get_context(request).settings.primary_xapi_version)


async def get_principal(request: Request) -> Principal:
    """HTTP Basic credentials to a principal; 401 when missing or refused (AUTH-003)."""
    authenticator = get_context(request).authenticator
    return await authenticator.authenticate(request.headers.get("authorization"))


# FastAPI runs plain `def` dependencies in a thread pool; these async wrappers keep every
# request on the event loop.
async def _context(request: Request) -> AppContext:
    return get_context(request)


async def _version(request: Request) -> XapiVersion:
    return get_version(request)


ContextDep = Annotated[AppContext, Depends(_context)]
VersionDep = Annotated[XapiVersion, Depends(_version)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def _engine(request: Request) -> AsyncEngine:
    return get_context(request).engine


async def _settings(request: Request) -> Settings:
    return get_context(request).settings


async def _codec(request: Request) -> TokenCodec:
    return await token_codec(get_context(request).engine)


EngineDep = Annotated[AsyncEngine, Depends(_engine)]
# The `more` token codec; declare it after the principal, so the key is read only for
# authenticated requests.
PagingDep = Annotated[TokenCodec, Depends(_codec)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def require(access: Access) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that authenticates, then checks the scope (AUTH-005)."""

    async def dependency(principal: PrincipalDep) -> Principal:
        principal.require(access)
        return principal

    return dependency


async def reconfirmed(request: Request, principal: Principal, access: Access) -> Principal:
    """`principal` as its credential row says now, with `access`: 401 when the credential
    was revoked meanwhile, 403 when it lost the scope."""
    authenticator = get_context(request).authenticator
    principal = await authenticator.reconfirm(principal, request.headers.get("authorization"))
    principal.require(access)
    return principal


async def remembered_principal(request: Request, access: Access) -> Principal:
    """As `require(access)`, but the principal may be taken from memory, unconfirmed: the
    request's own first command confirms it (`lrs.auth.authenticator`). Only for handlers
    that confirm it in their first command (statement writes through
    `StatementWriter.store`, reads through `read_statements`) and answer through
    `lrs.api.statements`' confirming wrapper."""
    authenticator = get_context(request).authenticator
    principal = await authenticator.authenticate(
        request.headers.get("authorization"), confirm_later=True
    )
    if not principal.allows(access):
        return await reconfirmed(request, principal, access)
    return principal


StateReader = Annotated[Principal, Depends(require(Access.STATE_READ))]
StateWriter = Annotated[Principal, Depends(require(Access.STATE_WRITE))]
ProfileReader = Annotated[Principal, Depends(require(Access.PROFILE_READ))]
ProfileWriter = Annotated[Principal, Depends(require(Access.PROFILE_WRITE))]
DefinitionsReader = Annotated[Principal, Depends(require(Access.DEFINITIONS_READ))]
ExtReader = Annotated[Principal, Depends(require(Access.EXT_READ))]
ExtWriter = Annotated[Principal, Depends(require(Access.EXT_WRITE))]
