"""Console pages for doors, roles and the roster: lists, CSV uploads (the extension's own
CSV reader and services; a refused upload shows its line-numbered error in the page) and a
person's assignments.

Doors and roles share one set of pages, driven by a `RegistryPage` per kind."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse

from lrs.api.console_deps import PREFIX, Admin, Form, page
from lrs.api.deps import ContextDep
from lrs.api.path_params import named_path_param
from lrs.errors import BadRequest
from lrs.ext.rules import csvio
from lrs.ext.rules.csvio import BulkBody, Kind
from lrs.ext.rules.filters import parse_filters
from lrs.ext.services import registry, roster
from lrs.ext.services.export import ExportRequest, open_rows
from lrs.ext.services.registry import RegistryKind
from lrs.services import console_statements
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import parse_agent_param
from lrs.xapi.versions import XapiVersion

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@dataclass(frozen=True)
class RegistryPage:
    """The console pages of one kind of registry entry."""

    kind: RegistryKind[Any]
    title: str
    # The columns of the list, and the text fields of the edit form.
    columns: tuple[str, ...]
    fields: tuple[str, ...]


DOORS = RegistryPage(
    registry.DOORS,
    "Doors",
    ("id", "name", "region", "format", "timezone", "opening_hours", "active"),
    (
        "name",
        "region",
        "format",
        "timezone",
        "opening_hours",
        "holidays_country",
        "holidays_region",
    ),
)
ROLES = RegistryPage(registry.ROLES, "Roles", ("id", "name", "active"), ("name",))
# Assignments listed on the roster page for one door (the CSV export has them all).
ROSTER_ROWS = 500


async def _csv(form: FormData, kind: Kind) -> BulkBody:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("choose a CSV file to upload")
    return await csvio.load_bulk(await upload.read(), "text/csv", kind)


async def _list_page(
    context: ContextDep, session: Admin, spec: RegistryPage, **result: Any
) -> HTMLResponse:
    kind = spec.kind
    rows = [kind.to_json(e) for e in await registry.list_entries(context.engine, kind, None)]
    values: dict[str, Any] = {"uploaded": None, "coverage": None, **result}
    return page(
        "registry.html",
        user=session,
        current=f"{PREFIX}/{kind.plural}",
        kind=kind.plural,
        title=spec.title,
        columns=list(spec.columns),
        csv_columns=", ".join(kind.csv.columns),
        rows=rows,
        **values,
    )


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
    spec: RegistryPage,
    row: dict[str, Any] | None,
    *,
    row_id: str,
    saved: bool = False,
) -> HTMLResponse:
    """The form of one door or role; `row` None: a new one under `row_id`."""
    kind = spec.kind.plural
    what = spec.kind.name.capitalize()
    return page(
        "registry_edit.html",
        user=session,
        current=f"{PREFIX}/{kind}",
        kind=kind,
        title=f"{what} {row_id}" if row is not None else f"New {what.lower()} {row_id}",
        row=row or {"id": row_id, "active": True},
        fields=spec.fields,
        saved=saved,
    )


@router.get("/doors")
async def doors_page(context: ContextDep, session: Admin, coverage: str = "") -> HTMLResponse:
    """The doors; with `coverage=1`, the share of statements tagged, by source."""
    if coverage:
        shares = await console_statements.tag_coverage(context.engine)
        return await _list_page(context, session, DOORS, coverage=shares)
    return await _list_page(context, session, DOORS)


@router.get("/roles")
async def roles_page(context: ContextDep, session: Admin) -> HTMLResponse:
    return await _list_page(context, session, ROLES)


def registry_pages(spec: RegistryPage) -> None:
    """The CSV upload, and the form of one entry (an id not yet registered gets an empty form
    that creates it), for one kind."""
    kind = spec.kind

    async def upload(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
        bulk = await _csv(form, kind.csv)
        count = await registry.bulk_upsert(context.engine, kind, bulk, actor=session.actor)
        return await _list_page(context, session, spec, uploaded=f"{count} {kind.name}(s) saved")

    async def edit(ident: str, context: ContextDep, session: Admin) -> HTMLResponse:
        found = await registry.find_entry(context.engine, kind, ident)
        row = None if found is None else kind.to_json(found)
        return _edit_page(session, spec, row, row_id=ident)

    async def save(ident: str, context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
        body = _form_body(form, spec.fields)
        entry = await registry.put_entry(context.engine, kind, ident, body, actor=session.actor)
        return _edit_page(session, spec, kind.to_json(entry), row_id=entry.id, saved=True)

    param = f"{kind.name}_id"
    many, one = f"/{kind.plural}", f"/{kind.plural}/{{{param}}}"
    router.add_api_route(many, upload, methods=["POST"], name=f"upload_{kind.plural}")
    router.add_api_route(
        one, named_path_param(edit, param), methods=["GET"], name=f"{kind.name}_page"
    )
    router.add_api_route(
        one, named_path_param(save, param), methods=["POST"], name=f"save_{kind.name}"
    )


registry_pages(DOORS)
registry_pages(ROLES)


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
