"""Work that must follow a committed change: named jobs with ids only.

A handler or an admin action returns these; the caller enqueues them after its commit
(workers.enqueue). If Redis is down the work is not lost: the sweeper finds it from SQL."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Followup:
    job: str  # "dispatch_case", "notify_resident", "fetch_attachment"
    args: tuple[int, ...]

    @classmethod
    def dispatch(cls, case_id: int, stage: int) -> Followup:
        """Push the case to the staff of its current level and schedule its deadline check."""
        return cls("dispatch_case", (case_id, stage))

    @classmethod
    def notify(cls, event_id: int) -> Followup:
        """Tell the resident about one event on their case (taken, passed up, resolved …)."""
        return cls("notify_resident", (event_id,))

    @classmethod
    def fetch(cls, attachment_id: int) -> Followup:
        """Download a photo or voice note while WeChat still has it (MediaId lives 3 days)."""
        return cls("fetch_attachment", (attachment_id,))
