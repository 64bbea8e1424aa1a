"""What the resident is told: of staff's moves and of an admin's (another level, closed,
reopened), once each; never of what they did themselves."""

from __future__ import annotations

from admin import moves
from admin.present import Labels
from cases import lifecycle
from cases.followups import Followup
from cases.models import Case
from workers.context import WorkerContext
from wxstub import StubWeChat

from .support import drain, enqueue, open_case, snapshot


def admin_move(ctx: WorkerContext, case_id: int, action: str, text: str, level: str = "") -> None:
    """An admin's move on the case page, and the work it leaves, as the dashboard enqueues it."""
    with ctx.domain.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        labels = Labels(ctx.wording, ctx.domain.org)
        done = moves.make(session, ctx.domain.policy, labels, case, action, "admin", text, level)
    enqueue(ctx, *done.followups)


def notice(stub: StubWeChat, n: int) -> str | None:
    """The resident's n-th message from the bot (1-based), once it has arrived."""
    texts = [c.text for c in stub.messages("oRESIDENT1")]
    return texts[n - 1] if len(texts) >= n else None


def test_the_resident_hears_of_an_admins_moves(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, _ = open_case(ctx, "elder_help")  # 20 s to take: it does not climb meanwhile
    number = snapshot(ctx, case_id).case.number

    admin_move(ctx, case_id, "level", "需要社区协调", level="community")
    moved = drain(ctx, lambda: notice(stub, 1))
    assert number in moved and "已调整由桐本北路社区" in moved

    admin_move(ctx, case_id, "close", "居民已搬离")
    closed = drain(ctx, lambda: notice(stub, 2))
    assert number in closed and "已由工作人员关闭：居民已搬离" in closed

    admin_move(ctx, case_id, "reopen", "居民要求继续处理")
    reopened = drain(ctx, lambda: notice(stub, 3))
    assert number in reopened and "已重新办理" in reopened
    assert len(stub.messages("oRESIDENT1")) == 3  # each once


def test_a_residents_own_reopening_is_not_announced_to_them(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, _ = open_case(ctx, "elder_help")
    with ctx.domain.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        lifecycle.resolve(session, case, "oGRID001", "灯已修好")
        session.flush()
        resolved = case.events[-1].id
        lifecycle.rate(session, ctx.domain.policy, case, "oRESIDENT1", 1)  # 不满意: reopened
        assert case.status == "reopened"
        reopened = case.events[-1]
        session.flush()
        assert reopened.kind == "reopen" and reopened.notified_at is not None
    enqueue(ctx, Followup.notify(resolved), Followup.dispatch(case_id, case.stage))
    drain(ctx, lambda: snapshot(ctx, case_id).sent() and stub.messages("oRESIDENT1"))
    (told,) = [c.text for c in stub.messages("oRESIDENT1")]
    assert "已办结" in told  # the resolution, and nothing about the reopening
