"""Console pages for doors, roles and the roster: lists, CSV uploads (the extension's own
CSV reader and services; a refused upload shows its line-numbered error in the page) and a
person's assignments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse

from lrs.api.console_deps import PREFIX, Admin, Form, page
from lrs.api.deps import ContextDep
from lrs.errors import BadRequest
from lrs.ext.rules import csvio
from lrs.ext.rules.csvio import BulkBody, Kind
from lrs.ext.rules.filters import parse_filters
from lrs.ext.services import registry, roster
from lrs.ext.services.export import ExportRequest, open_rows
from lrs.services import console_statements
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import parse_agent_param
from lrs.xapi.versions import XapiVersion

router = APIRouter(prefix=PREFIX, include_in_schema=False)

DOOR_FIELDS = (
    "name",
    "region",
    "format",
    "timezone",
    "opening_hours",
    "holidays_country",
    "holidays_region",
)
ROLE_FIELDS = ("name",)
# Assignments listed on the roster page for one door (the CSV export has them all).
ROSTER_ROWS = 500


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


def _form_body(form: FormData, fields: Sequence[str]) -> dict[str, Any]:
    """The registry body of an edit form: blank fields left out, the checkbox as a bool; the
    registry's own rules (the same as PUT's) validate it."""
    body: dict[str, Any] = {}
    for name in fields:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            body[name] = value.strip()
    body["active"] = form.get("active") == "on"
    return body


def _edit_page(
    session: Admin,
    kind: str,
    row: dict[str, Any] | None,
    fields: Sequence[str],
    *,
    row_id: str,
    saved: bool = False,
) -> HTMLResponse:
    """The form of one door or role; `row` None: a new one under `row_id`."""
    what = kind[:-1].capitalize()
    return page(
        "registry_edit.html",
        user=session,
        current=f"{PREFIX}/{kind}",
        kind=kind,
        title=f"{what} {row_id}" if row is not None else f"New {what.lower()} {row_id}",
        row=row or {"id": row_id, "active": True},
        fields=fields,
        saved=saved,
    )


@router.get("/doors/{door_id}")
async def door_page(door_id: str, context: ContextDep, session: Admin) -> HTMLResponse:
    """One door's form (name, region, timezone, business hours, active); an id not yet
    registered gets an empty form that creates it."""
    doors = {d.id: d for d in await registry.list_doors(context.engine, None)}
    door = registry.door_json(doors[door_id]) if door_id in doors else None
    return _edit_page(session, "doors", door, DOOR_FIELDS, row_id=door_id)


@router.post("/doors/{door_id}")
async def save_door(door_id: str, context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    body = _form_body(form, DOOR_FIELDS)
    door = await registry.put_door(context.engine, door_id, body, actor=session.actor)
    row = registry.door_json(door)
    return _edit_page(session, "doors", row, DOOR_FIELDS, row_id=door.id, saved=True)


@router.get("/roles/{role_id}")
async def role_page(role_id: str, context: ContextDep, session: Admin) -> HTMLResponse:
    """One role's form (name, active); an id not yet registered gets an empty form."""
    roles = {r.id: r for r in await registry.list_roles(context.engine, None)}
    role = registry.role_json(roles[role_id]) if role_id in roles else None
    return _edit_page(session, "roles", role, ROLE_FIELDS, row_id=role_id)


@router.post("/roles/{role_id}")
async def save_role(role_id: str, context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    body = _form_body(form, ROLE_FIELDS)
    role = await registry.put_role(context.engine, role_id, body, actor=session.actor)
    row = registry.role_json(role)
    return _edit_page(session, "roles", row, ROLE_FIELDS, row_id=role.id, saved=True)


async def _door_assignments(context: ContextDep, door: str) -> tuple[list[dict[str, Any]], bool]:
    """The first `ROSTER_ROWS` assignments of a door (real identity keys: admins only) and
    whether more exist; read through the assignments dataset of the BI export."""
    request = ExportRequest(parse_filters({"door": door}), "csv", True, "assignments")
    columns, batches = await open_rows(context.engine, request)
    rows: list[dict[str, Any]] = []
    try:
        async for batch in batches:
            rows += [dict(zip(columns, row, strict=True)) for row in batch]
            if len(rows) > ROSTER_ROWS:
                break
    finally:
        aclose = getattr(batches, "aclose", None)
        if aclose is not None:
            await aclose()
    return rows[:ROSTER_ROWS], len(rows) > ROSTER_ROWS


def _roster_page(session: Admin, **values: Any) -> HTMLResponse:
    shown: dict[str, Any] = {
        "uploaded": None,
        "agent": "",
        "assignments": None,
        "door": "",
        "door_rows": None,
        "door_more": False,
        **values,
    }
    return page(
        "roster.html",
        user=session,
        current=f"{PREFIX}/roster",
        csv_columns=", ".join(csvio.ROSTER.columns),
        **shown,
    )


@router.get("/roster")
async def roster_page(
    context: ContextDep, session: Admin, agent: str = "", door: str = ""
) -> HTMLResponse:
    """Upload form; with `door`, that door's assignments; with `agent` (an e-mail address or
    Agent JSON), that person's assignments."""
    if door:
        listed, more = await _door_assignments(context, door)
        return _roster_page(session, door=door, door_rows=listed, door_more=more)
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
