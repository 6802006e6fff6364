"""Authentication and permissions (AUTH-*, ERR-010). Scope checks need --readonly-user."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import VOIDED, post, statement, store, uid

AREA = "auth"


@check("AUTH-001", "AUTH-009", area=AREA)
def basic_credentials_work(s: Session) -> None:
    """The given Basic credentials can read and write statements."""
    s.expect_status(s.get("statements", {"limit": "1"}), 200)
    s.expect_status(post(s, statement()), 200)


@check("AUTH-002", "AUTH-003", area=AREA)
def missing_credentials_refused(s: Session) -> None:
    """Requests without credentials are refused with 401."""
    s.expect_status(s.get("statements", {"limit": "1"}, auth=None), 401)
    s.expect_status(post(s, statement(), auth=None), 401)
    s.expect_status(s.get("activities", {"activityId": "http://example.com/a"}, auth=None), 401)


@check("AUTH-003", area=AREA)
def wrong_credentials_refused(s: Session) -> None:
    """Unknown users and wrong passwords get 401."""
    s.expect_status(s.get("statements", {"limit": "1"}, auth=(uid(), "nope")), 401)
    wrong = (s.config.user, s.config.password + "-wrong")
    s.expect_status(s.get("statements", {"limit": "1"}, auth=wrong), 401)
    response = s.get("statements", {"limit": "1"}, headers={"Authorization": "Basic !!!"})
    s.expect_status(response, 401, 400, why="garbled Authorization header")


@check("AUTH-004", area=AREA)
def challenge_on_401(s: Session) -> None:
    """401 answers carry a Basic challenge."""
    response = s.get("statements", {"limit": "1"}, auth=None)
    challenge = response.headers.get("WWW-Authenticate", "")
    s.expect(challenge.lower().startswith("basic"), f"WWW-Authenticate {challenge!r}")


@check("AUTH-006", area=AREA)
def empty_basic_credentials(s: Session) -> None:
    """Empty Basic credentials are either an anonymous call or refused, never a crash."""
    response = s.get("statements", {"limit": "1"}, headers={"Authorization": "Basic Og=="})
    s.expect_status(response, 200, 401, 403)


def _readonly(s: Session) -> tuple[str, str]:
    if s.config.readonly_user is None or s.config.readonly_password is None:
        s.skip("needs --readonly-user/--readonly-password")
    return (str(s.config.readonly_user), str(s.config.readonly_password))


@check("AUTH-005", "ERR-010", area=AREA)
def readonly_cannot_write(s: Session) -> None:
    """Valid credentials without write permission get 403 on a write."""
    creds = _readonly(s)
    s.expect_status(s.get("statements", {"limit": "1"}, auth=creds), 200, why="read allowed")
    s.expect_status(post(s, statement(), auth=creds), 403)


@check("AUTH-008", area=AREA)
def readonly_cannot_void(s: Session) -> None:
    """A voiding statement from credentials not allowed to void is refused with 403."""
    creds = _readonly(s)
    target = store(s, statement())[0]
    body = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})
    s.expect_status(post(s, body, auth=creds), 403)


@check("AUTH-010", area=AREA)
def oauth_endpoints_when_offered(s: Session) -> None:
    """If OAuth 1.0 is offered, its three endpoints exist."""
    probe = s.request("POST", "OAuth/initiate", auth=None)
    if probe.status_code == 404:
        s.skip("OAuth 1.0 not offered")
    for path in ("OAuth/authorize", "OAuth/token"):
        response = s.request("GET" if path.endswith("authorize") else "POST", path, auth=None)
        s.expect(response.status_code != 404, f"{path} missing while OAuth/initiate exists")
