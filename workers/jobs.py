"""The rq jobs: importable functions that take ids only. Each gets the process's context
(workers.context) and leaves the work to a module that says how; the retry policy of pushes
and downloads (GRIDBOT_PUSH_BACKOFF) is the worker's, applied by returning rq's Retry."""

from __future__ import annotations

from rq import Retry, get_current_job

from workers import attachments, escalation, notices
from workers.context import current
from workers.delivery import Outcome, deliver


def dispatch_case(case_id: int, stage: int) -> None:
    escalation.dispatch(current(), case_id, stage)


def check_due(moment: int) -> None:
    """The deadline check scheduled for `moment` (epoch ms): it escalates every case overdue
    by the time it runs, whichever moment they were scheduled for."""
    escalation.check_due(current())


def deliver_push(push_id: int) -> Retry | None:
    """A push whose first attempt failed in a way retrying may mend. The first attempt was
    made by the job that wrote it; this job is the second, its rq retries the rest."""
    ctx = current()
    later = ctx.options.backoff[1:]
    results = deliver(ctx, [push_id], final=_retries() >= len(later))
    escalation.follow_up(ctx, [r for r in results if r.outcome is Outcome.FAILED])
    if any(r.outcome is Outcome.RETRY for r in results):
        return Retry(max=len(later), interval=list(later))
    return None


def notify_resident(event_id: int) -> None:
    ctx = current()
    escalation.follow_up(ctx, notices.notify(ctx, event_id))


def send_notices(first_push_id: int) -> None:
    """The notices an escalation batch wrote (the first one's id names the job), and any
    other notice still untried."""
    ctx = current()
    escalation.follow_up(ctx, notices.send_pending(ctx))


def fetch_attachment(attachment_id: int) -> Retry | None:
    ctx = current()
    backoff = ctx.options.backoff
    outcome = attachments.fetch(ctx, attachment_id, final=_retries() >= len(backoff))
    if outcome is attachments.Fetch.RETRY:
        return Retry(max=len(backoff), interval=list(backoff))
    return None


def _retries() -> int:
    """How many times rq has retried the running job (0 outside rq, as in direct calls)."""
    job = get_current_job()
    return int(job.number_of_retries or 0) if job is not None else 0
