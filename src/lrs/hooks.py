"""The ingest hooks every statement write runs in its transaction, built from the settings
alone: the server registers them, and its batch process builds the same ones (a module of
its own, so the batch process need not import the app)."""

from __future__ import annotations

from lrs.ext import extension_hooks
from lrs.services.service_proof import ServiceProofHook
from lrs.services.statements import IngestHook
from lrs.settings import Settings


def ingest_hooks(settings: Settings) -> tuple[IngestHook, ...]:
    """The door and role tagging and the forwarding outbox, then the service-proof index."""
    return (*extension_hooks(settings), ServiceProofHook())
