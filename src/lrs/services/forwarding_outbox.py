"""The outbox of forwarding: an ingest hook (see `lrs.services.statements.IngestRider`)."""

from __future__ import annotations

from collections.abc import Sequence

from lrs.services.group_write import OUTBOX_STEP
from lrs.services.statements import IngestRider
from lrs.storage import forwarding as repo
from lrs.storage.statements import InsertStep, NewStatement


class OutboxHook(IngestRider):
    """The ingest hook: the insert of a write records it for every target, in the write's
    transaction (an acknowledged statement is never lost), with no command of its own."""

    group_step = OUTBOX_STEP

    def insert_steps(self, rows: Sequence[NewStatement]) -> list[InsertStep]:
        return [repo.ENQUEUE_WRITTEN]
