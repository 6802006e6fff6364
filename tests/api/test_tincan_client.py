"""A real xAPI client library (TinCanPython, which speaks 1.0.x over http.client) against a
live uvicorn server on the test database.

TinCanPython's `about()` refuses any About document listing a version it does not know,
so it cannot read this LRS's `["2.0.0", "1.0.3"]`; its statement calls are what is tested.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    Statement,
    StatementRef,
    Verb,
)

from tests.conftest import ADMIN_KEY, ADMIN_SECRET

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture(scope="module")
def live_endpoint(live_base_url: str) -> str:
    """The xAPI base URL of the session's live server."""
    return f"{live_base_url}/xAPI/"


@pytest.fixture
def lrs(live_endpoint: str) -> RemoteLRS:
    return RemoteLRS(
        endpoint=live_endpoint, version="1.0.3", username=ADMIN_KEY, password=ADMIN_SECRET
    )


def _statement(learner: Agent, registration: str, **extra: Any) -> Statement:
    return Statement(
        actor=learner,
        verb=Verb(
            id="http://adlnet.gov/expapi/verbs/experienced",
            display=LanguageMap({"en-US": "experienced"}),
        ),
        object=Activity(
            id="http://example.com/tincan/activity",
            definition=ActivityDefinition(
                name=LanguageMap({"en-US": "TinCan activity"}),
                type="http://adlnet.gov/expapi/activities/lesson",
            ),
        ),
        context=Context(registration=registration),
        **extra,
    )


def test_save_retrieve_query_void(lrs: RemoteLRS) -> None:
    """STR-W-004/007/008, STR-R-001/002, STR-Q-001/008, STR-M-002/003, ST-VOID-007 through
    the library's own calls; statements it sends round-trip."""
    learner = Agent(name="TinCan Learner", mbox=f"mailto:tc-{uuid.uuid4().hex[:8]}@example.com")
    registration = str(uuid.uuid4())

    put_one = _statement(
        learner,
        registration,
        id=str(uuid.uuid4()),
        result=Result(score=Score(scaled=0.75), success=True, completion=True),
    )
    saved = lrs.save_statement(put_one)  # PUT with statementId
    assert saved.success, saved.data
    posted = lrs.save_statement(_statement(learner, registration))  # POST
    assert posted.success, posted.data
    assert posted.content.id
    batch = lrs.save_statements([_statement(learner, registration) for _ in range(3)])
    assert batch.success, batch.data
    assert all(s.id for s in batch.content)

    fetched = lrs.retrieve_statement(str(put_one.id))
    assert fetched.success, fetched.data
    got = fetched.content
    assert got.result.score.scaled == 0.75
    assert got.actor.mbox == learner.mbox
    assert got.version.startswith("1.0.")  # the library sends its own 1.0.x version
    assert got.authority is not None
    assert got.stored is not None

    query = lrs.query_statements({"agent": learner, "registration": registration, "limit": 2})
    assert query.success, query.data
    seen = [s.id for s in query.content.statements]
    more = query.content.more
    while more:
        page = lrs.more_statements(more)
        assert page.success, page.data
        seen += [s.id for s in page.content.statements]
        more = page.content.more
    assert len(seen) == 5
    assert len(set(seen)) == 5

    voiding = Statement(
        actor=learner,
        verb=Verb(id=VOIDED, display=LanguageMap({"en-US": "voided"})),
        object=StatementRef(id=str(put_one.id)),
    )
    saved_voiding = lrs.save_statement(voiding)
    assert saved_voiding.success, saved_voiding.data
    assert not lrs.retrieve_statement(str(put_one.id)).success
    voided = lrs.retrieve_voided_statement(str(put_one.id))
    assert voided.success, voided.data
    assert str(voided.content.id) == str(put_one.id)
    after = lrs.query_statements({"registration": registration})
    listed = {str(s.id) for s in after.content.statements}
    # The voided statement is gone; the voiding one matches through its StatementRef.
    assert str(put_one.id) not in listed
    assert str(saved_voiding.content.id) in listed
    assert len(listed) == 5


def test_conflicting_put_is_refused(lrs: RemoteLRS) -> None:
    """STR-W-006: the library sees a failed save for a different statement under one id."""
    learner = Agent(mbox=f"mailto:tc-{uuid.uuid4().hex[:8]}@example.com")
    statement_id = str(uuid.uuid4())
    first = _statement(learner, str(uuid.uuid4()), id=statement_id)
    assert lrs.save_statement(first).success
    second = _statement(learner, str(uuid.uuid4()), id=statement_id)
    refused = lrs.save_statement(second)
    assert not refused.success
    assert refused.response.status == 409
