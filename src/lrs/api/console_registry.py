"""Console pages for doors, roles and the roster: lists, CSV uploads (the extension's own
CSV reader and services; a refused upload shows its line-numbered error in the page) and a
person's assignments."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse

from lrs.api.console_deps import PREFIX, Admin, Form, page
from lrs.api.deps import ContextDep
from lrs.errors import BadRequest
from lrs.ext import csvio, registry, roster
from lrs.ext.csvio import BulkBody, Kind
from lrs.services import console_statements
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import parse_agent_param
from lrs.xapi.versions import XapiVersion

router = APIRouter(prefix=PREFIX, include_in_schema=False)


async def _csv(form: FormData, kind: Kind) -> BulkBody:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("choose a CSV file to upload")
    return await csvio.load_bulk(await upload.read(), "text/csv", kind)


async def _doors_page(context: ContextDep, session: Admin, **result: Any) -> HTMLResponse:
    doors = [registry.door_json(d) for d in await registry.list_doors(context.engine, None)]
    values: dict[str, Any] = {"uploaded": None, "coverage": None, **result}
    return page(
        "registry.html",
        user=session,
        current=f"{PREFIX}/doors",
        kind="doors",
        title="Doors",
        columns=["id", "name", "region", "format", "timezone", "opening_hours", "active"],
        csv_columns=", ".join(csvio.DOORS.columns),
        rows=doors,
        **values,
    )


async def _roles_page(context: ContextDep, session: Admin, **result: Any) -> HTMLResponse:
    roles = [registry.role_json(r) for r in await registry.list_roles(context.engine, None)]
    values: dict[str, Any] = {"uploaded": None, "coverage": None, **result}
    return page(
        "registry.html",
        user=session,
        current=f"{PREFIX}/roles",
        kind="roles",
        title="Roles",
        columns=["id", "name", "active"],
        csv_columns=", ".join(csvio.ROLES.columns),
        rows=roles,
        **values,
    )


@router.get("/doors")
async def doors_page(context: ContextDep, session: Admin, coverage: str = "") -> HTMLResponse:
    """The doors; with `coverage=1`, the share of statements tagged, by source."""
    if coverage:
        shares = await console_statements.tag_coverage(context.engine)
        return await _doors_page(context, session, coverage=shares)
    return await _doors_page(context, session)


@router.post("/doors")
async def upload_doors(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    bulk = await _csv(form, csvio.DOORS)
    count = await registry.bulk_doors(context.engine, bulk, actor=session.actor)
    return await _doors_page(context, session, uploaded=f"{count} door(s) saved")


@router.get("/roles")
async def roles_page(context: ContextDep, session: Admin) -> HTMLResponse:
    return await _roles_page(context, session)


@router.post("/roles")
async def upload_roles(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    bulk = await _csv(form, csvio.ROLES)
    count = await registry.bulk_roles(context.engine, bulk, actor=session.actor)
    return await _roles_page(context, session, uploaded=f"{count} role(s) saved")


def _roster_page(session: Admin, **values: Any) -> HTMLResponse:
    shown: dict[str, Any] = {"uploaded": None, "agent": "", "assignments": None, **values}
    return page(
        "roster.html",
        user=session,
        current=f"{PREFIX}/roster",
        csv_columns=", ".join(csvio.ROSTER.columns),
        **shown,
    )


@router.get("/roster")
async def roster_page(context: ContextDep, session: Admin, agent: str = "") -> HTMLResponse:
    """Upload form; with `agent` (an e-mail address or Agent JSON), that person's
    assignments."""
    if not agent:
        return _roster_page(session)
    version = XapiVersion(context.settings.primary_xapi_version)
    mbox = "mailto:" + agent.removeprefix("mailto:")
    raw = agent if agent.startswith("{") else json.dumps({"mbox": mbox})
    rows = await roster.roster_of(context.engine, ifi_key(parse_agent_param(raw, version)) or "")
    return _roster_page(session, agent=agent, assignments=[roster.roster_json(r) for r in rows])


@router.post("/roster")
async def upload_roster(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    bulk = await _csv(form, csvio.ROSTER)
    version = XapiVersion(context.settings.primary_xapi_version)
    result = await roster.upsert_roster(context.engine, bulk, version, actor=session.actor)
    message = f"{result.assignments} assignment(s) saved, {result.retagged} statement(s) re-tagged"
    return _roster_page(session, uploaded=message)
