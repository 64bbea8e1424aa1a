"""Hand the work that follows an admin action (dispatch to a new level, telling the resident,
fetching a photo) to the workers, after the action is committed.

If the queue is unreachable, or workers/ is not installed yet, nothing is lost: the case rows
say what is owed and the workers' sweeper re-creates the jobs."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from admin.context import services
from cases.followups import Followup

log = logging.getLogger(__name__)


def enqueue(followups: Sequence[Followup]) -> bool:
    """Enqueue `followups`; False when they were left for the sweeper. Never raises."""
    if not followups:
        return True
    try:
        from workers.enqueue import enqueue_followups
    except ImportError:
        log.warning(
            "workers.enqueue is not available: %d follow-ups left to the sweeper", len(followups)
        )
        return False
    try:
        svc = services()
        prefix = svc.settings.queue_prefix
        return bool(enqueue_followups(svc.redis, list(followups), prefix=prefix))
    except Exception:  # noqa: BLE001 - an action is committed; the sweeper catches up
        log.exception("enqueueing %d follow-ups failed", len(followups))
        return False
