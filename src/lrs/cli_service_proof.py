"""`lrs service-proof recompute`: rebuild the service-case index from the stored statements."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

service_proof_app = typer.Typer(help="Service proof: evidence rules over statements.")
console = Console()


@service_proof_app.command("recompute")
def recompute_command() -> None:
    """Rebuild the index of service-case statements from every stored statement (the state
    the ingest hook keeps); cases and reviews are evaluated from it when read."""
    from lrs.cli import _ensure_schema, _with_engine, database_url, run, settings_or_exit
    from lrs.services import service_proof

    settings = settings_or_exit()
    with database_url(settings) as (url, _):

        async def action(engine: AsyncEngine) -> int:
            await _ensure_schema(engine)
            return await service_proof.recompute(engine)

        count = run(lambda: _with_engine(url, action))
    console.print(f"indexed {count} service-case statements", highlight=False)
