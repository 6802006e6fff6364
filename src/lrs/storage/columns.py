"""The column shapes that many tables share, declared once.

Every table in `tables` (and the extension's) builds its common columns here, so that "a
moment set by the database when the row is written" or "the statement this row belongs to"
means the same type, default and delete rule everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    text,
)
from sqlalchemy.types import TypeEngine


def moment(name: str, *, nullable: bool = False) -> Column[Any]:
    """A point in time with its time zone, given by the writer."""
    return Column(name, DateTime(timezone=True), nullable=nullable)


def written_at(name: str) -> Column[Any]:
    """A point in time the database sets to the writing transaction's start (``now()``)."""
    return Column(name, DateTime(timezone=True), nullable=False, server_default=text("now()"))


def serial_id() -> Column[Any]:
    """``id``: a 64-bit key the database counts up."""
    return Column("id", BigInteger, Identity(), primary_key=True)


def single_row(table: str) -> CheckConstraint:
    """Holds a settings table to its one row, ``id = 1``."""
    return CheckConstraint("id = 1", name=f"ck_{table}_single")


def statement_seq() -> Column[Any]:
    """``seq``: the statement this row describes, and the row's key; gone with the statement."""
    return Column(
        "seq",
        BigInteger,
        ForeignKey("statements.seq", ondelete="CASCADE"),
        primary_key=True,
    )


def owned_by(name: str, kind: TypeEngine[Any], reference: str) -> Column[Any]:
    """A required reference to its owner's key (``table.column``), deleted with its owner."""
    return Column(name, kind, ForeignKey(reference, ondelete="CASCADE"), nullable=False)
