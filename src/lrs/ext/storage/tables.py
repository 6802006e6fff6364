"""Tables of the door and role extension, on the shared `metadata` (migration 0002 mirrors
them; a test compares the two).

``ext_tags`` holds one row per (statement, source): ``explicit`` (set through the API),
``statement`` (read from context extensions at ingest) or ``roster`` (the assignment in force
at the statement's timestamp). Keeping the sources apart makes re-tagging on a roster change
touch roster rows only, and lets the precedence be resolved when reading.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from lrs.storage.columns import moment, serial_id, single_row, statement_seq, written_at
from lrs.storage.tables import metadata

TAG_SOURCES = ("explicit", "statement", "roster")

ext_doors = Table(
    "ext_doors",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("region", Text, nullable=True),
    Column("format", Text, nullable=True),
    Column("timezone", Text, nullable=False, server_default=text("'UTC'")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    written_at("updated"),
    # Added by migration 0006 (service proof): business hours and public holidays.
    Column("opening_hours", Text, nullable=True),
    Column("holidays_country", Text, nullable=True),
    Column("holidays_region", Text, nullable=True),
)

ext_roles = Table(
    "ext_roles",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    written_at("updated"),
)

ext_roster = Table(
    "ext_roster",
    metadata,
    serial_id(),
    Column("actor_key", Text, nullable=False),
    Column("door", Text, ForeignKey("ext_doors.id"), nullable=False),
    Column("role", Text, ForeignKey("ext_roles.id"), nullable=False),
    moment("valid_from"),
    # NULL: still in force.
    moment("valid_to", nullable=True),
    written_at("updated"),
    UniqueConstraint("actor_key", "valid_from"),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_ext_roster_range"),
)

ext_tags = Table(
    "ext_tags",
    metadata,
    statement_seq(),
    Column("source", Text, primary_key=True),
    Column("door", Text, ForeignKey("ext_doors.id"), nullable=True),
    Column("role", Text, ForeignKey("ext_roles.id"), nullable=True),
    written_at("tagged_at"),
    CheckConstraint("source IN ('explicit', 'statement', 'roster')", name="ck_ext_tags_source"),
    Index("ix_ext_tags_door", "door"),
    Index("ix_ext_tags_role", "role"),
)

# The HMAC-SHA256 key of the pseudonymous actor_key, kept as its two padded forms so that
# PostgreSQL (the BI view) and Python compute the same pseudonym. One row, id = 1.
ext_pseudonym_key = Table(
    "ext_pseudonym_key",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("inner_pad", LargeBinary, nullable=False),
    Column("outer_pad", LargeBinary, nullable=False),
    Column("from_setting", Boolean, nullable=False),
    written_at("updated"),
    single_row("ext_pseudonym_key"),
)

# Business figures by door and period (migration 0004). `aggregate` says how daily figures
# roll up into a week: `sum` (sales, units) or `mean` (rates such as conversion).
ext_kpis = Table(
    "ext_kpis",
    metadata,
    Column("door", Text, ForeignKey("ext_doors.id"), primary_key=True),
    Column("period", Text, primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("metric", Text, primary_key=True),
    Column("value", Float(precision=53), nullable=False),
    Column("aggregate", Text, nullable=False),
    written_at("updated"),
    CheckConstraint("period IN ('day', 'week', 'month')", name="ck_ext_kpis_period"),
    CheckConstraint("aggregate IN ('sum', 'mean')", name="ck_ext_kpis_aggregate"),
    Index("ix_ext_kpis_metric", "metric"),
)

# The settings the BI views need (they cannot read the environment), written at start-up.
ext_bi_config = Table(
    "ext_bi_config",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("min_group_size", Integer, nullable=False),
    Column("coaching_verbs", ARRAY(Text), nullable=False),
    Column("coaching_types", ARRAY(Text), nullable=False),
    written_at("updated"),
    single_row("ext_bi_config"),
)

__all__ = [
    "TAG_SOURCES",
    "ext_bi_config",
    "ext_doors",
    "ext_kpis",
    "ext_pseudonym_key",
    "ext_roles",
    "ext_roster",
    "ext_tags",
]
