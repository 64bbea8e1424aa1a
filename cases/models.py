"""SQLAlchemy models: the truth about residents, messages, cases and what happened to them.

Org units are referenced by their codes from org.yaml (the operator's file is the source of
the tree; the database only records where each case is).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cases.clock import utcnow


def column_width(column: Any) -> int:
    """The length of a String column (a table's `c.name`), for code that must cut input to
    fit it."""
    length = column.type.length
    assert isinstance(length, int), column
    return length


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(), dict[str, Any]: JSON()}


class Resident(Base):
    """Someone who wrote to the account, and the address they bound (绑定)."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    courtyard: Mapped[str | None] = mapped_column(String(64))
    building: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # WeChat allows customer-service messages within 48 h of the resident's last message.
    last_message_at: Mapped[datetime | None] = mapped_column()


class InboundMessage(Base):
    """Every accepted message or event, stored before it is answered, with the reply given.

    `dedup_key` (MsgId, or FromUserName+CreateTime for events) is unique: the last line of
    dedup when Redis is down."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(256))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    intent: Mapped[str | None] = mapped_column(String(32))


# Partial-index predicate of cases whose stage was never dispatched (the sweeper's query).
UNDISPATCHED = text("dispatched_stage < stage")


class Case(Base):
    """A report that someone must act on: where it is, who holds it, and its deadline."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_due", "due_at"),
        Index("ix_cases_status_level", "status", "level"),
        Index("ix_cases_created", "created_at"),
        # Scope and place filters with a period or the newest first (the dashboard's lists and
        # overview): one index range per scope instead of every case of the unit.
        Index("ix_cases_street_created", "street", "created_at"),
        Index("ix_cases_community_created", "community", "created_at"),
        Index("ix_cases_courtyard_created", "courtyard", "created_at"),
        Index("ix_cases_resident", "resident_id", "status"),
        # The sweeper's "dispatch still owed" query reads only this (small) partial index.
        Index(
            "ix_cases_undispatched",
            "id",
            sqlite_where=UNDISPATCHED,
            postgresql_where=UNDISPATCHED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    openid: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    level: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 0 normal, 1 high, 2 emergency
    street: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    courtyard: Mapped[str | None] = mapped_column(String(64))
    grid: Mapped[str | None] = mapped_column(String(64))
    building: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_label: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    level_since: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # The deadline of the current step (take, or resolve); None when nothing is due.
    due_at: Mapped[datetime | None] = mapped_column()
    # Bumped by every level change and reopening, so that a job for an old stage is a no-op.
    stage: Mapped[int] = mapped_column(Integer, default=0)
    # The stage whose pushes have been enqueued; < stage means dispatch is still owed.
    dispatched_stage: Mapped[int] = mapped_column(Integer, default=-1)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    # Timeliness counters for the 12345-style figures, fixed when the step happens.
    acked_on_time: Mapped[bool | None] = mapped_column(Boolean)
    resolved_on_time: Mapped[bool | None] = mapped_column(Boolean)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan"
    )


# Events the resident is told about (workers.jobs.notify_resident).
NOTICE_KINDS = ("take", "escalate", "resolve", "set_level", "reopen", "close")
_NOTICE_OWED = "notified_at IS NULL AND kind IN ({})".format(
    ", ".join(f"'{kind}'" for kind in NOTICE_KINDS)
)
# The predicate as a clause, for queries that should read that index.
NOTICE_OWED = text(_NOTICE_OWED)


class CaseEvent(Base):
    """One line of a case's timeline: when, who, what, and the move it made."""

    __tablename__ = "case_events"
    __table_args__ = (
        # The sweeper's "resident notice never sent" query reads only this partial index.
        Index(
            "ix_case_events_notice_owed",
            "at",
            sqlite_where=text(_NOTICE_OWED),
            postgresql_where=text(_NOTICE_OWED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(96))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_level: Mapped[str | None] = mapped_column(String(16))
    to_level: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # When the resident's notice of this event was queued (a Push row exists); kinds in
    # NOTICE_KINDS with None here are owed a notice.
    notified_at: Mapped[datetime | None] = mapped_column()

    case: Mapped[Case] = relationship(back_populates="events")


_UNFETCHED = "media_id IS NOT NULL AND fetched_at IS NULL AND fetch_error IS NULL"
UNFETCHED = text(_UNFETCHED)  # the predicate as a clause, for queries that should read it


class Attachment(Base):
    """A photo, voice note, video or location sent for a case. WeChat keeps a MediaId for
    three days, so a job downloads the file at once into `path`."""

    __tablename__ = "attachments"
    __table_args__ = (
        # The sweeper's "media never fetched" query reads only this partial index.
        Index(
            "ix_attachments_unfetched",
            "created_at",
            sqlite_where=text(_UNFETCHED),
            postgresql_where=text(_UNFETCHED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # image, voice, video, location
    media_id: Mapped[str | None] = mapped_column(String(256))
    url: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(256))
    recognition: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column()
    fetch_error: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="attachments")


class Opinion(Base):
    """A resident's suggestion or opinion (问需于民), by topic and courtyard."""

    __tablename__ = "opinions"
    __table_args__ = (Index("ix_opinions_topic_courtyard", "topic", "courtyard"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    courtyard: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


_PUSH_OPEN = "status IN ('pending', 'sending')"
# The predicate as a clause, for queries that should read that index.
PUSH_OPEN = text(_PUSH_OPEN)


class Push(Base):
    """A message sent (or tried) to a person about a case. Unique per case, stage, kind and
    person, so a job that runs twice sends nothing twice."""

    __tablename__ = "pushes"
    __table_args__ = (
        UniqueConstraint("case_id", "stage", "kind", "openid", name="uq_push_once"),
        # The sweeper's "push not delivered" query reads only this partial index.
        Index(
            "ix_pushes_open",
            "created_at",
            sqlite_where=text(_PUSH_OPEN),
            postgresql_where=text(_PUSH_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # dispatch, remind:<event id>, notice:<event id>
    level: Mapped[str | None] = mapped_column(String(16))
    openid: Mapped[str] = mapped_column(String(64))
    # pending -> sending -> sent | failed; a send interrupted by a crash becomes "unconfirmed"
    # (never re-sent: a push goes out at most once); a staff push whose case moved on before
    # it went out becomes "skipped".
    status: Mapped[str] = mapped_column(String(16), default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))  # template, custom
    errcode: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime | None] = mapped_column()  # when the last send began


class CaseCounter(Base):
    """The last case number issued per China-time day; updated atomically (upsert)."""

    __tablename__ = "case_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AdminUser(Base):
    """A dashboard account; scope None is the whole district."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    scope_level: Mapped[str | None] = mapped_column(String(16))  # street, community
    scope_code: Mapped[str | None] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """An API bearer token of an admin (only its hash is stored); it carries the admin's scope."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditLog(Base):
    """Admin actions that are not on a case's timeline (exports, logins, token use)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
