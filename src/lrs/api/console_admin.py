"""Console pages for administrators: credentials, audit trail, privacy (erasure, purge) and
forwarding. Each form post is CSRF-checked (`Form`) and done as ``console:<user>`` in the
audit trail by the service it calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from lrs.api.console_deps import PREFIX, Admin, Form, field, page
from lrs.api.deps import ContextDep, PagingDep
from lrs.auth.scopes import Scope
from lrs.errors import BadRequest
from lrs.services import (
    audit_query,
    console,
    console_statements,
    credentials,
    erasure,
    forwarding,
    purge,
)
from lrs.services.lifecycle_input import parse_erasure, parse_purge
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.versions import XapiVersion

router = APIRouter(prefix=PREFIX, include_in_schema=False)

AUDIT_ROWS = 200
DEAD_LETTERS_SHOWN = 50


async def _credentials_page(
    context: ContextDep, session: Admin, *, issued: credentials.IssuedCredential | None = None
) -> HTMLResponse:
    rows = await credentials.list_credentials(context.engine)
    return page(
        "credentials.html",
        user=session,
        current=f"{PREFIX}/credentials",
        rows=rows,
        scopes=[s.value for s in Scope],
        issued=issued,
    )


@router.get("/credentials")
async def credentials_page(context: ContextDep, session: Admin) -> HTMLResponse:
    return await _credentials_page(context, session)


@router.post("/credentials")
async def create_credential(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    """Create; the page shows the secret this once."""
    chosen = [Scope(v) for v in form.getlist("scopes") if v in {s.value for s in Scope}]
    if not chosen:
        raise BadRequest("choose at least one scope")
    issued = await credentials.create_credential(
        context.engine, name=field(form, "name") or None, scopes=chosen, actor=session.actor
    )
    return await _credentials_page(context, session, issued=issued)


@router.post("/credentials/{key}/revoke")
async def revoke_credential(key: str, context: ContextDep, session: Admin, _: Form) -> HTMLResponse:
    await credentials.revoke_credential(context.engine, key, actor=session.actor)
    return await _credentials_page(context, session)


@router.get("/audit")
async def audit_page(request: Request, context: ContextDep, session: Admin) -> HTMLResponse:
    """The trail, oldest first, filtered by since, until and action."""
    names = ("since", "until", "action")
    filters = {k: v for k, v in request.query_params.items() if k in names}
    items = [(k, v) for k, v in filters.items() if v] + [("limit", str(AUDIT_ROWS))]
    query = audit_query.parse_audit_query(items)
    rows, more = await audit_query.read_entries(context.engine, query)
    return page(
        "audit.html",
        user=session,
        current=f"{PREFIX}/audit",
        rows=rows,
        more=more,
        filters=filters,
    )


def _erasure_body(form: dict[str, str], dry_run: bool) -> dict[str, object]:
    """The API's erasure body from the form: an agent as JSON, an e-mail address, or the
    BI pseudonym."""
    if form["actor_key"]:
        return {"actor_key": form["actor_key"], "dry_run": dry_run}
    agent = form["agent"]
    if not agent:
        raise BadRequest("give the person's agent (JSON or e-mail address) or actor_key")
    if agent.startswith("{"):
        return {"agent": loads_strict(agent.encode(), path="agent"), "dry_run": dry_run}
    mbox = agent if agent.startswith("mailto:") else f"mailto:{agent}"
    return {"agent": {"mbox": mbox}, "dry_run": dry_run}


async def _privacy_page(context: ContextDep, session: Admin, **results: object) -> HTMLResponse:
    values: dict[str, Any] = {"erasure": None, "purge_result": None, "person": None}
    values.update(results)
    return page(
        "privacy.html",
        user=session,
        current=f"{PREFIX}/privacy",
        retention_days=context.settings.retention_days,
        **values,
    )


@router.get("/privacy")
async def privacy_page(context: ContextDep, session: Admin) -> HTMLResponse:
    return await _privacy_page(context, session)


@router.post("/privacy/erasure")
async def erase(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    """Without `confirm` a dry run (the counts, and the confirm button); with it, the erasure."""
    person = {"agent": field(form, "agent"), "actor_key": field(form, "actor_key")}
    confirmed = field(form, "confirm") == "yes"
    request = parse_erasure(
        _erasure_body(person, not confirmed), XapiVersion(context.settings.primary_xapi_version)
    )
    result = await erasure.erase(context.engine, request, actor=session.actor)
    return await _privacy_page(context, session, erasure=result, person=person)


@router.post("/privacy/purge")
async def purge_before(context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    """Without `confirm` a dry run; with it, the purge."""
    confirmed = field(form, "confirm") == "yes"
    request = parse_purge({"before": field(form, "before"), "dry_run": not confirmed})
    result = await purge.purge(context.engine, request, actor=session.actor)
    return await _privacy_page(context, session, purge_result=result)


async def _forwarding_page(
    context: ContextDep, session: Admin, *, replayed: dict[str, object] | None = None
) -> HTMLResponse:
    targets = await forwarding.list_targets(context.engine)
    dead = {
        t["id"]: (await forwarding.dead_letters(context.engine, t["id"], limit=DEAD_LETTERS_SHOWN))[
            "dead_letters"
        ]
        for t in targets
    }
    return page(
        "forwarding.html",
        user=session,
        current=f"{PREFIX}/forwarding",
        targets=targets,
        dead=dead,
        replayed=replayed,
    )


@router.get("/forwarding")
async def forwarding_page(context: ContextDep, session: Admin) -> HTMLResponse:
    return await _forwarding_page(context, session)


@router.post("/forwarding/{target_id}/replay")
async def replay(target_id: str, context: ContextDep, session: Admin, form: Form) -> HTMLResponse:
    """Queue again one dead letter (`dead_letter`) or all of the target's."""
    chosen = field(form, "dead_letter")
    body: dict[str, object] = {"dead_letters": [int(chosen)] if chosen.isdigit() else "all"}
    result = await console.replay(
        context.engine,
        target_id,
        body,
        context.settings.forwarding_batch_size,
        actor=session.actor,
    )
    return await _forwarding_page(context, session, replayed={"target": target_id, **result})


@router.get("/statements")
async def statements_page(
    request: Request, context: ContextDep, session: Admin, codec: PagingDep
) -> HTMLResponse:
    """Filters since, until, verb, activity, agent, door and role; newest first, paged."""
    found = await console_statements.browse_page(
        context.engine,
        request.query_params.multi_items(),
        codec,
        XapiVersion(context.settings.primary_xapi_version),
    )
    return page("statements.html", user=session, current=f"{PREFIX}/statements", found=found)
