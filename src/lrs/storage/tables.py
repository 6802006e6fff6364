"""Table definitions: the one description of the schema (migrations mirror it).

Statements are stored once as received (``payload``, the prepared statement as JSON text:
served as it is, cast to jsonb by the SQL that reads inside it) with the columns that queries
need. Every query filter (agent, verb, activity, registration and their
``related_*`` forms) is served by one narrow table, ``statement_terms``: one row per
(term, statement), carrying the statement's ``stored`` and ``seq`` so a filtered query walks
one index in stored order and pages by keyset, never OFFSET. A statement whose object is a
StatementRef also carries its target's terms (STR-Q-025). The actor and the object Activity
are stored under their primary terms only, the authority as no term (``authority_key``); a
related filter reads every way (`lrs.xapi.terms`).
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from lrs.storage.columns import moment, owned_by, serial_id, single_row, statement_seq, written_at

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("secret_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("authority", JSONB, nullable=False),
    written_at("created_at"),
    moment("revoked_at", nullable=True),
)

statements = Table(
    "statements",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("id", UUID(as_uuid=False), nullable=False, unique=True),
    moment("stored"),
    moment("timestamp"),
    Column("verb_id", Text, nullable=False),
    Column("actor_key", Text, nullable=True),
    Column("object_activity_id", Text, nullable=True),
    Column("registration", UUID(as_uuid=False), nullable=True),
    Column("statement_ref_id", UUID(as_uuid=False), nullable=True),
    Column("is_voiding", Boolean, nullable=False),
    Column("voided", Boolean, nullable=False, server_default=text("false")),
    Column("authority_key", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_statements_stored_seq", "stored", "seq"),
    Index(
        "ix_statements_statement_ref_id",
        "statement_ref_id",
        postgresql_where=text("statement_ref_id IS NOT NULL"),
    ),
    Index("ix_statements_authority_key_stored_seq", "authority_key", "stored", "seq"),
)

statement_terms = Table(
    "statement_terms",
    metadata,
    Column("term", Text, nullable=False),
    moment("stored"),
    # No foreign key: the terms are written from the rows their statement's insert returns,
    # and triggers of migration 0010 delete them with their statements (a key checked each of
    # the ten rows a statement has, three quarters of an insert's database time).
    Column("seq", BigInteger, nullable=False),
    # The statement's verb as `hashtextextended(verb_id, 0)`, kept in the term index so that
    # a query filtering on a verb besides another term checks it on the entries it walks
    # (`lrs.storage.statement_queries`); NULL on rows written before migration 0014.
    Column("verb_key", BigInteger, nullable=True),
    Index(
        "ix_statement_terms_term_stored_seq",
        "term",
        "stored",
        "seq",
        unique=True,
        postgresql_include=["verb_key"],
    ),
    Index("ix_statement_terms_seq", "seq"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("sha2", Text, primary_key=True),
    Column("content_type", Text, nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    written_at("created_at"),
)

activities = Table(
    "activities",
    metadata,
    Column("activity_id", Text, primary_key=True),
    Column("definition", JSONB, nullable=True),
    written_at("updated"),
)

agents = Table(
    "agents",
    metadata,
    Column("ifi_key", Text, primary_key=True),
    Column("ifi", JSONB, nullable=False),
    Column("names", ARRAY(Text), nullable=False, server_default=text("'{}'")),
)

documents = Table(
    "documents",
    metadata,
    serial_id(),
    # 'state', 'activity_profile' or 'agent_profile'
    Column("kind", Text, nullable=False),
    # '' where the key part does not apply to the kind (no NULLs inside the unique key)
    Column("activity_id", Text, nullable=False, server_default=text("''")),
    Column("agent_key", Text, nullable=False, server_default=text("''")),
    Column("registration", Text, nullable=False, server_default=text("''")),
    Column("doc_id", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("etag", Text, nullable=False),
    moment("updated"),
    UniqueConstraint("kind", "activity_id", "agent_key", "registration", "doc_id"),
)

# The HMAC key of `more` tokens (lrs.xapi.paging), made once and kept so tokens stay valid
# across restarts and workers. `created` bounds which unsigned (older) tokens are still read.
paging_key = Table(
    "paging_key",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("key", LargeBinary, nullable=False),
    written_at("created"),
    single_row("paging_key"),
)

# `lrs pull`: how far the copy from each source LRS got (its statements endpoint URL, no
# credentials), so that a rerun resumes there. Statements are idempotent by id anyway.
pull_positions = Table(
    "pull_positions",
    metadata,
    Column("source", Text, primary_key=True),
    # `stored` of the last statement of the last page fully written, as the source said it.
    moment("last_stored"),
    Column("last_id", Text, nullable=False),
    # Statements received from that source over every run.
    Column("received", BigInteger, nullable=False, server_default=text("0")),
    written_at("updated"),
)

# Append-only (a trigger of migration 0003 refuses UPDATE, DELETE and TRUNCATE): one row per
# administrative act. `subject` names a person only by the one-way pseudonym, never an IFI.
audit_log = Table(
    "audit_log",
    metadata,
    serial_id(),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject", Text, nullable=True),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("ix_audit_log_at_id", "at", "id"),
    Index("ix_audit_log_action_at_id", "action", "at", "id"),
)

# Service proof (migration 0006): the rules as uploaded, and an index of the service-case
# statements (object of activity type .../service-case with a registration), written by the
# ingest hook and rebuilt by `lrs service-proof recompute`. Voiding and re-tagging need no
# write here: evaluation joins `statements.voided` and the effective tags when it reads.
service_proof_rules = Table(
    "service_proof_rules",
    metadata,
    Column("id", Text, primary_key=True),
    Column("body", JSONB, nullable=False),
    written_at("updated"),
)

service_proof_events = Table(
    "service_proof_events",
    metadata,
    statement_seq(),
    Column("registration", UUID(as_uuid=False), nullable=False),
    Column("verb_id", Text, nullable=False),
    moment("timestamp"),
    Column("activity_id", Text, nullable=False),
    Column("priority", Text, nullable=True),
    Index("ix_service_proof_events_registration", "registration"),
    Index("ix_service_proof_events_verb_id_timestamp", "verb_id", "timestamp"),
)

# Forwarding (lrs.services.forwarding). A target's secret (xAPI password or webhook secret)
# is stored encrypted (Fernet); counters live here so that every worker reports the same.
fwd_targets = Table(
    "fwd_targets",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("name", Text, nullable=False, server_default=text("''")),
    Column("type", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("username", Text, nullable=True),
    Column("secret_enc", LargeBinary, nullable=True),
    Column("xapi_version", Text, nullable=True),
    Column("filters", JSONB, nullable=False, server_default=text("'{}'")),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    written_at("created_at"),
    written_at("updated_at"),
    # The one process delivering for this target, until lease_until (renewed while it works).
    Column("lease_owner", Text, nullable=True),
    moment("lease_until", nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    moment("next_attempt_at", nullable=True),
    Column("last_error", Text, nullable=True),
    moment("last_delivered_at", nullable=True),
    Column("delivered", BigInteger, nullable=False, server_default=text("0")),
    Column("filtered", BigInteger, nullable=False, server_default=text("0")),
    Column("retried", BigInteger, nullable=False, server_default=text("0")),
    Column("dead", BigInteger, nullable=False, server_default=text("0")),
)

# The outbox: one row per (target, stored batch), written in the batch's own transaction.
fwd_queue = Table(
    "fwd_queue",
    metadata,
    serial_id(),
    owned_by("target_id", UUID(as_uuid=False), "fwd_targets.id"),
    Column("seqs", ARRAY(BigInteger), nullable=False),
    written_at("created_at"),
    Index("ix_fwd_queue_target_id_id", "target_id", "id"),
)

fwd_dead_letters = Table(
    "fwd_dead_letters",
    metadata,
    serial_id(),
    owned_by("target_id", UUID(as_uuid=False), "fwd_targets.id"),
    Column("seqs", ARRAY(BigInteger), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    written_at("created_at"),
    Index("ix_fwd_dead_letters_target_id_id", "target_id", "id"),
)

# The generated Fernet key used when LRS_SECRET_KEY is unset. One row, id = 1.
fwd_key = Table(
    "fwd_key",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False),
    written_at("created_at"),
)

# The admin console (migration 0009): its users, separate from xAPI credentials; server-side
# sessions (only a SHA-256 of the cookie's token is stored); failed logins, for throttling.
console_users = Table(
    "console_users",
    metadata,
    Column("name", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    written_at("created"),
    CheckConstraint("role IN ('admin', 'viewer')", name="ck_console_users_role"),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    owned_by("username", Text(), "console_users.name"),
    Column("csrf", Text, nullable=False),
    written_at("created"),
    written_at("last_seen"),
)

console_login_failures = Table(
    "console_login_failures",
    metadata,
    serial_id(),
    Column("username", Text, nullable=False),
    Column("address", Text, nullable=False),
    written_at("at"),
    Index("ix_console_login_failures_username_address_at", "username", "address", "at"),
)
