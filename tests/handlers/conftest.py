"""Conversation tests read as transcripts played through the real webhook."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.simulator import Simulator
from cases.db import Database
from cases.models import Case
from tests.live import LiveServer, Phone

NUMBER_RE = re.compile(r"\d{6}-\d{4}")


def play(phone: Phone, transcript: list[tuple[str, str]]) -> list[str]:
    """Say each line and check that the reply contains the expected words ("" = no reply)."""
    replies = []
    for says, expects in transcript:
        reply = phone.say(says)
        for part in expects.split("…"):
            assert part in reply, f"{says!r} got {reply!r}, expected {part!r}"
        replies.append(reply)
    return replies


def number_in(reply: str) -> str:
    match = NUMBER_RE.search(reply)
    assert match, reply
    return match.group(0)


def cases_of(db: Database, openid: str) -> list[Case]:
    """The resident's cases, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(Case).where(Case.openid == openid).order_by(Case.id)))


def notes_of(db: Database, number: str) -> list[str]:
    """The notes on case `number`'s timeline, in order."""
    return [e.note or "" for e in case_of(db, number).events if e.kind == "note"]


def case_of(db: Database, number: str) -> Case:
    with db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        _ = case.events, case.attachments
        return case


def send_photo(phone: Phone, media_id: str) -> str:
    """Send a photo with `media_id`; the reply."""
    return phone.send_xml(phone.sim.message(phone.openid, "image", MediaId=media_id))


def media_of(db: Database, number: str) -> list[str | None]:
    """The MediaIds attached to case `number`, in order."""
    return [a.media_id for a in case_of(db, number).attachments]


@pytest.fixture
def resident(live: LiveServer) -> Phone:
    return Phone(live, Simulator.from_settings(live.settings, "safe"), openid="oRESIDENT0001")


@pytest.fixture
def neighbour(live: LiveServer) -> Phone:
    return Phone(live, Simulator.from_settings(live.settings, "plain"), openid="oRESIDENT0002")


@pytest.fixture
def grid_worker(live: LiveServer) -> Phone:
    return Phone(live, Simulator.from_settings(live.settings, "plain"), openid="oGRID001")


@pytest.fixture
def other_grid_worker(live: LiveServer) -> Phone:
    return Phone(live, Simulator.from_settings(live.settings, "plain"), openid="oGRID003")


@pytest.fixture
def council(live: LiveServer) -> Phone:
    return Phone(live, Simulator.from_settings(live.settings, "plain"), openid="oCOUNCIL001")
