"""rq jobs that carry a case to a person: dispatch it to its level, push to staff through the
WeChat API, check its deadline and escalate, tell the resident, fetch media, and sweep for work
that Redis lost. The database is the truth: every job re-reads it and may run twice."""
