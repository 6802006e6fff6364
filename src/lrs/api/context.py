"""What the routers share, built once by the app's lifespan (never at import)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.api.metrics import Metrics
from lrs.auth.authenticator import Authenticator
from lrs.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    authenticator: Authenticator
    metrics: Metrics
