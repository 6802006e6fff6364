"""What the routers share, built once by the app's lifespan (never at import)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.api.metrics import Metrics
from lrs.auth.authenticator import Authenticator
from lrs.services.statements import IngestHook
from lrs.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    authenticator: Authenticator
    metrics: Metrics
    # Extra work done inside every statement write's transaction (see IngestHook).
    ingest_hooks: tuple[IngestHook, ...] = field(default=())
