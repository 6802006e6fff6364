"""Console reports open to every console user (viewers too): the door-week dashboard (small
groups always suppressed here, as the API does for credentials without identities) and the
weekly service-proof review (people appear only by pseudonym)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.responses import HTMLResponse

from lrs.api.console_deps import PREFIX, Session, page
from lrs.api.deps import ContextDep
from lrs.console.charts import Bar, bar_chart
from lrs.console.dashboard import in_doors, parse_weeks, week_range, weekly_totals
from lrs.ext.rules.bi_model import iso_week
from lrs.ext.rules.filters import parse_filters
from lrs.ext.services import door_week, registry
from lrs.services import service_proof

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/dashboard")
async def dashboard(
    context: ContextDep,
    session: Session,
    door: str = "",
    role: str = "",
    region: str = "",
    weeks: str = "",
    baseline: str = "",
    period: str = "",
) -> HTMLResponse:
    """Door-week rows (practice and KPIs side by side) over the last `weeks` weeks, for one
    door, role or region (the doors whose registry `region` it is); with `baseline` and
    `period` windows, the pre/post comparison by door and role too."""
    shown = parse_weeks(weeks)
    filters = parse_filters({k: v for k, v in (("door", door), ("role", role)) if v})
    table = await door_week.door_week_table(
        context.engine,
        week_range(shown, datetime.now(UTC).date()),
        filters,
        suppressed=context.settings.min_group_size,
    )
    if region:
        # Whole rows of the suppressed table are left out: no hidden cell becomes derivable.
        doors = {
            d.id
            for d in await registry.list_entries(context.engine, registry.DOORS, None)
            if d.region == region
        }
        table = in_doors(table, doors)
    compared = None
    regions = sorted(
        {
            d.region
            for d in await registry.list_entries(context.engine, registry.DOORS, None)
            if d.region
        }
    )
    if baseline or period:
        given = {"baseline": baseline, "period": period, "door": door, "role": role}
        request = door_week.parse_compare([(k, v) for k, v in given.items() if v])
        compared = await door_week.compare(
            context.engine,
            request,
            context.settings.tenure_bands,
            suppressed=context.settings.min_group_size,
        )
    totals = weekly_totals(table.columns, table.rows, "active_learners")
    chart = bar_chart(
        [Bar(week, value) for week, value in totals], title="Active learners per ISO week"
    )
    return page(
        "dashboard.html",
        user=session,
        current=f"{PREFIX}/dashboard",
        table=table,
        chart=chart,
        filters={
            "door": door,
            "role": role,
            "region": region,
            "weeks": shown,
            "baseline": baseline,
            "period": period,
        },
        compared=compared,
        regions=regions,
        minimum=context.settings.min_group_size,
    )


@router.get("/service-proof")
async def service_proof_page(
    context: ContextDep, session: Session, week: str = "", door: str = ""
) -> HTMLResponse:
    """The weekly review per door; with `door`, that door's exceptions."""
    chosen = week or iso_week(datetime.now(UTC).date())
    items = [("week", chosen), ("format", "json"), *([("door", door)] if door else [])]
    review, _ = await service_proof.report(context.engine, items)
    return page(
        "service_proof.html",
        user=session,
        current=f"{PREFIX}/service-proof",
        review=review,
        week=chosen,
        door=door,
    )
