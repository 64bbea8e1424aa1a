"""The audit log: admin actions that are not on a case's timeline (logins, exports, tokens).

Case actions (a note, a level change, closing, reopening) are case events instead, written by
cases.lifecycle with the admin as actor."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases.clock import utcnow
from cases.models import AuditLog


def audit(session: Session, actor: str, action: str, detail: str = "") -> None:
    """Add one line to the audit log, committed with the caller's transaction."""
    session.add(AuditLog(at=utcnow(), actor=actor[:96], action=action[:64], detail=detail))
