"""The floor: the least a bench message can cost on gridbot's stack, served for comparison.

Not a product. It does what a message cannot do without (gridbot's signature check, XML
parsing and decryption, intent model, the claim and reply round trips to Redis, the same rows
written to the same tables and committed, the case's rq job queued in the second round trip,
an encrypted reply) and nothing more: plain sqlite3 instead of SQLAlchemy, one rq job built
with none of gridbot's options, fixed wording, no dialogue, no places. rq is on the design
card, so its job is part of the floor; gridbot's jobs are rq's too.
bench_webhook runs it next to gridbot and a bare Flask "hello", on a database file and Redis
keys of its own, so that the share of bare Flask a message can reach here at all is measured,
not guessed. SQLite only (DATABASE_URL, migrated).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from flask import Flask, Response, request
from rq import Queue
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.protocol import Rejected, dedup_key, read_message, verify_request  # noqa: E402
from bot.services import analyzer_for  # noqa: E402
from cases.org import load_org  # noqa: E402
from config.settings import Settings  # noqa: E402
from nlp import Courtyard  # noqa: E402

settings = Settings.from_env()
analyzer = analyzer_for(
    tuple(Courtyard(u.code, u.name, u.aliases) for u in load_org(settings.org_path).courtyards)
)
crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
store = redis.Redis.from_url(settings.redis_url)
jobs = Queue(f"{settings.queue_prefix}-floor", connection=store)  # no worker listens here
database = settings.database_url.removeprefix("sqlite:///")
local = threading.local()
app = Flask(__name__)

RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
REPORTS = ("repair", "dispute", "elder_help", "emergency")
CASE_COLUMNS = (
    "number, resident_id, openid, intent, status, level, priority, street, community, "
    "courtyard, grid, building, text, created_at, updated_at, level_since, due_at, stage, "
    "dispatched_stage, overdue, escalations, reopen_count"
)


def connection() -> sqlite3.Connection:
    """One connection per thread, in autocommit mode so that BEGIN and COMMIT are ours."""
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(database, timeout=15, isolation_level=None)
        local.db.execute("PRAGMA journal_mode=WAL")
        local.db.execute("PRAGMA synchronous=NORMAL")
    return local.db  # type: ignore[no-any-return]


@app.post("/wechat")
def receive() -> Response:
    try:
        verify_request(request.args, settings.wechat_token, settings.signature_window)
        inbound = read_message(request.get_data(cache=False), request.args, crypto)
    except Rejected as error:
        return Response(error.reason, status=error.status)
    fields = inbound.fields
    key, sender, token = dedup_key(inbound), fields["FromUserName"], secrets.token_hex(8)
    prefix = f"{settings.queue_prefix}-floor"  # the bench sends it gridbot's messages too
    with store.pipeline(transaction=False) as pipe:
        pipe.set(f"{prefix}:inbound:{key}", b"\x00pending", nx=True, ex=60)
        pipe.set(f"{prefix}:turn:{sender}", token, nx=True, px=10_000)
        pipe.get(f"{prefix}:dialogue:{sender}")
        claimed, _turn, _state = pipe.execute()
    if not claimed:
        return Response("success")
    text = str(fields.get("Content") or "")
    intent = analyzer.analyze(text).intent
    reply, case_id = write(key, sender, text, intent, json.dumps(fields, ensure_ascii=False))
    with store.pipeline(transaction=False) as pipe:
        pipe.set(f"{prefix}:inbound:{key}", reply.encode(), ex=3600)
        pipe.eval(RELEASE, 1, f"{prefix}:turn:{sender}", token)
        if case_id is not None:
            # The case's first dispatch (stage 0), as gridbot queues it; no worker runs it here.
            job = Queue.prepare_data("workers.jobs.dispatch_case", (case_id, 0))
            jobs.enqueue_many([job], pipeline=pipe)
        pipe.execute()
    xml = TextReply(message=inbound.message, content=reply).render()
    if inbound.encrypted:
        xml = crypto.encrypt_message(xml, request.args["nonce"], str(int(time.time())))
    return Response(xml, mimetype="application/xml")


def write(key: str, sender: str, text: str, intent: str, raw: str) -> tuple[str, int | None]:
    """The rows gridbot writes for the message, in one transaction; the reply and the case."""
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = now.isoformat(" ")
    db = connection()
    # Writers queue up for the lock at BEGIN (a read that became a write would fail instead).
    db.execute("BEGIN IMMEDIATE")
    found = db.execute("SELECT id FROM residents WHERE openid = ?", (sender,)).fetchone()
    if found is None:
        found = db.execute(
            "INSERT INTO residents (openid, lives_alone, subscribed, created_at, last_message_at)"
            " VALUES (?, 0, 1, ?, ?) RETURNING id",
            (sender, stamp, stamp),
        ).fetchone()
    resident = found[0]
    case_id = None
    if intent in REPORTS:
        day = (now + timedelta(hours=8)).strftime("%y%m%d")
        last = db.execute(
            "INSERT INTO case_counters (day, last) VALUES (?, 1) ON CONFLICT (day) "
            "DO UPDATE SET last = last + 1 RETURNING last",
            (day,),
        ).fetchone()[0]
        number = f"{day}-{last:04d}"
        due = (now + timedelta(hours=2)).isoformat(" ")
        case_id = db.execute(
            f"INSERT INTO cases ({CASE_COLUMNS}) VALUES "
            "(?, ?, ?, ?, 'open', 'grid', 0, 'xhl', 'tbbl', 'lvchang', 'lc-1', '1', ?, ?, ?, ?, "
            "?, 0, -1, 0, 0, 0) RETURNING id",
            (number, resident, sender, intent, text, stamp, stamp, stamp, due),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO case_events (case_id, at, kind, actor, to_status, to_level, note) "
            "VALUES (?, ?, 'opened', ?, 'open', 'grid', ?)",
            (case_id, stamp, sender, text[:500]),
        )
        reply = f"已受理，工单号 {number}，由铝厂一网格 网格员处理，{due[:16]} 前响应。"
    elif intent == "query":
        rows = db.execute(
            "SELECT number, status, text FROM cases WHERE resident_id = ? AND status IN "
            "('acknowledged', 'open', 'reopened', 'resolved') ORDER BY id DESC LIMIT 5",
            (resident,),
        ).fetchall()
        reply = "\n".join(f"{n} {s} {t[:20]}" for n, s, t in rows) or "您暂无办理中的事项。"
    else:
        db.execute(
            "INSERT INTO opinions (resident_id, topic, text, created_at) VALUES (?, ?, ?, ?)",
            (resident, "other", text, stamp),
        )
        reply = "谢谢您的意见，我们会汇总后转给社区。"
    db.execute(
        "INSERT INTO inbound_messages (dedup_key, openid, msg_type, content, raw, sent_at, "
        "received_at, reply, case_id, intent) VALUES (?, ?, 'text', ?, ?, ?, ?, ?, ?, ?)",
        (key, sender, text, raw, stamp, stamp, reply, case_id, intent),
    )
    db.execute("COMMIT")
    return reply, case_id


@app.get("/healthz")
def health() -> Response:
    return Response("ok" if os.path.exists(database) else "no database")
