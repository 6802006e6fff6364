"""The garbage collector's settings for a process that handles statements in bulk: the
server (once its app has started) and every CLI command on the database
(`lrs.cli_data.engine_action`: import, export, pull, erase, ...)."""

from __future__ import annotations

import gc

# The collector's young-generation threshold (Python's default: 700 container objects).
# A batch of statements is tens of thousands of containers alive at once: at 700 each batch
# was traversed by about eight young collections, promoted, then traversed again by the older
# ones (13-21 us of the server's 155-222 us of CPU per statement in batches of 100 from 4
# clients; a third of `lrs import`'s CPU). Garbage without cycles is freed at once whatever
# the threshold, and requests, answered or refused, leave almost none in cycles (2 to 8
# objects each), so memory does not grow for it (bench/RESULTS.md, twelfth round).
YOUNG_COLLECTION_THRESHOLD = 50_000


def settle_heap() -> None:
    """Call once start-up is done. Everything built so far lives as long as the process:
    frozen out of the collector's generations, it is no longer rescanned by every full
    collection (measured: 15% less server CPU per ingested statement, p95 25% lower); then
    the young threshold above."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
