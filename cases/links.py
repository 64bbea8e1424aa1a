"""Links in staff pushes that open a case without a dashboard account.

A grid worker taps the link in a WeChat push on their phone; they have no dashboard login and
should not need one to see the case they were just told about. The link carries the case
number and the staff member's openid, signed with GRIDBOT_SECRET_KEY (itsdangerous, as
Flask's own session cookies are) and valid for a week: whoever holds it sees that case's page
read-only, as the push's recipient would; it opens nothing else, and it dies when the key
changes or the person leaves org.yaml."""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LINK_LIFETIME = timedelta(days=7)
_SALT = "gridbot.staff-case-link"


class BadLink(ValueError):
    """A link that was tampered with, or has expired (`expired`)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def staff_link_token(secret_key: str, number: str, openid: str) -> str:
    """The token of the link to case `number` for staff member `openid`."""
    return str(_serializer(secret_key).dumps([number, openid]))


def read_staff_link(
    secret_key: str, token: str, max_age: timedelta = LINK_LIFETIME
) -> tuple[str, str]:
    """(case number, openid) of a token made by `staff_link_token`; BadLink otherwise."""
    try:
        value = _serializer(secret_key).loads(token, max_age=max_age.total_seconds())
    except SignatureExpired:
        raise BadLink(expired=True) from None
    except BadSignature:
        raise BadLink(expired=False) from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise BadLink(expired=False)
    return value[0], value[1]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)
