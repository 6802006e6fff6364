"""`lrs service-proof recompute`: rebuild the service-case index from the stored statements."""

from __future__ import annotations

import typer
from rich.console import Console

service_proof_app = typer.Typer(help="Service proof: evidence rules over statements.")
console = Console()


@service_proof_app.command("recompute")
def recompute_command() -> None:
    """Rebuild the index of service-case statements from every stored statement (the state
    the ingest hook keeps); cases and reviews are evaluated from it when read."""
    from lrs.cli_data import engine_action
    from lrs.services import service_proof

    count = engine_action(service_proof.recompute)
    console.print(f"indexed {count} service-case statements", highlight=False)
