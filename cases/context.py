"""What every process needs of the domain, built once from settings: the database, the org
tree and the escalation policy. Loading validates the operator's files."""

from __future__ import annotations

from dataclasses import dataclass

from cases.db import Database
from cases.org import OrgTree, load_org
from cases.policy import Policy, load_policy
from config.settings import Settings


@dataclass
class Domain:
    db: Database
    org: OrgTree
    policy: Policy

    @classmethod
    def from_settings(cls, settings: Settings) -> Domain:
        return cls(
            db=Database(settings.database_url),
            org=load_org(settings.org_path),
            policy=load_policy(settings.escalation_path),
        )
