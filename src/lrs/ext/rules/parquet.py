"""Parquet rendering of the BI datasets (pyarrow): typed columns, written a row group at a
time so that the server holds one row group, never the whole export.

Timestamps are microsecond UTC instants, dates are ``date32``, counts ``int64``, rates and
minutes ``double``: pandas, DuckDB and Power BI read them without a cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_TS = pa.timestamp("us", tz="UTC")
_TYPES: dict[str, pa.DataType] = {
    "stored": _TS,
    "timestamp": _TS,
    "valid_from": _TS,
    "valid_to": _TS,
    "tenure_start": pa.date32(),
    "week_start": pa.date32(),
    "success": pa.bool_(),
    "completion": pa.bool_(),
    "score_scaled": pa.float64(),
    "score_raw": pa.float64(),
    "duration_s": pa.float64(),
    "headcount": pa.int64(),
    "active_learners": pa.int64(),
    "practice_rate": pa.float64(),
    "statements": pa.int64(),
    "completions": pa.int64(),
    "passes": pa.int64(),
    "activity_minutes": pa.float64(),
}


def schema(columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of a dataset: known columns typed, kpi_* doubles, the rest text."""
    return pa.schema(
        [
            (name, pa.float64() if name.startswith("kpi_") else _TYPES.get(name, pa.string()))
            for name in columns
        ]
    )


class _Sink:
    """A write-only file whose bytes are taken out after each row group."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class ParquetStream:
    """Rows in, Parquet bytes out: `add` rows, `close` for the footer. Blocking (run it in a
    worker thread); memory is one row group."""

    def __init__(self, columns: Sequence[str], *, row_group: int = 20_000) -> None:
        self._schema = schema(columns)
        self._sink = _Sink()
        self._writer = pq.ParquetWriter(self._sink, self._schema, compression="zstd")
        self._pending: list[Sequence[Any]] = []
        self._row_group = row_group

    def add(self, rows: Sequence[Sequence[Any]]) -> bytes:
        self._pending.extend(rows)
        if len(self._pending) >= self._row_group:
            self._flush()
        return self._sink.take()

    def close(self) -> bytes:
        self._flush()
        self._writer.close()
        return self._sink.take()

    def _flush(self) -> None:
        if not self._pending:
            return
        columns = list(zip(*self._pending, strict=True))
        arrays = [
            pa.array(values, type=field.type)
            for values, field in zip(columns, self._schema, strict=True)
        ]
        self._writer.write_table(
            pa.Table.from_arrays(arrays, schema=self._schema), row_group_size=len(self._pending)
        )
        self._pending = []
