"""What the app does for the extension when it starts: make sure a pseudonym key exists,
and build the ingest hook from the settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.ext.rules import pseudonyms
from lrs.ext.services.tagging import TaggingHook
from lrs.ext.storage.bi import store_config
from lrs.ext.storage.pseudonyms import store_pads
from lrs.services.forwarding_outbox import OutboxHook
from lrs.services.statements import IngestHook
from lrs.settings import Settings
from lrs.storage.database import transaction


async def ensure_pseudonym_key(engine: AsyncEngine, setting: str | None) -> None:
    """LRS_PSEUDONYM_KEY, when set, becomes the key (changing it changes every pseudonym).
    When unset, the stored key is kept, or a random one is stored the first time, so that
    restarts and every worker keep the same pseudonyms."""
    if setting:
        inner, outer = pseudonyms.pads(pseudonyms.key_bytes(setting))
    else:
        inner, outer = pseudonyms.pads(pseudonyms.new_key())
    async with transaction(engine) as conn:
        await store_pads(conn, inner, outer, replace=bool(setting))


async def store_bi_config(engine: AsyncEngine, settings: Settings) -> None:
    """The settings the BI views read (a view cannot see the environment)."""
    async with transaction(engine) as conn:
        await store_config(
            conn,
            settings.min_group_size,
            settings.coaching_verbs,
            settings.coaching_activity_types,
        )


def extension_hooks(settings: Settings) -> tuple[IngestHook, ...]:
    """The extension's ingest hooks (built from the settings alone: the batch process builds
    its own, `lrs.services.batch_process`)."""
    return (TaggingHook(settings.door_extension, settings.role_extension), OutboxHook())


async def start_extensions(engine: AsyncEngine, settings: Settings) -> tuple[IngestHook, ...]:
    """Prepare the extension and return the ingest hooks to register."""
    await ensure_pseudonym_key(engine, settings.pseudonym_key)
    await store_bi_config(engine, settings)
    return extension_hooks(settings)
