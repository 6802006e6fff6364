"""Statement Resource writes: PUT/POST status codes, ids, batches, conflicts, LRS-set properties.

Cites STR-W-*, ST-PROC-* and the ERR lines for malformed bodies.
"""

from __future__ import annotations

import json
import re

from ..http import Session
from ..registry import check
from ..xapi import activity, agent, fetch, instant, post, put, statement, store, uid, verb

AREA = "statements-write"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@check("STR-W-004", "CT-001", area=AREA)
def put_stores_statement(s: Session) -> None:
    """PUT with statementId stores the statement and answers 204."""
    sid = uid()
    s.expect_status(put(s, statement(id=sid), sid), 204)
    s.expect(fetch(s, sid).get("id") == sid, "stored statement has another id")


@check("STR-W-004", area=AREA)
def put_fills_missing_id(s: Session) -> None:
    """PUT of a statement without id stores it under statementId."""
    sid = uid()
    s.expect_status(put(s, statement(), sid), 204)
    s.expect(fetch(s, sid).get("id") == sid, "statement not stored under statementId")


@check("STR-W-001", "ERR-008", area=AREA)
def put_without_statement_id(s: Session) -> None:
    """PUT without statementId is refused."""
    response = s.request("PUT", "statements", json_body=statement())
    s.expect_status(response, 400)


@check("STR-W-001", "ST-VAL-022", "ERR-007", area=AREA)
def put_with_bad_statement_id(s: Session) -> None:
    """PUT with a statementId that is not a UUID is refused."""
    s.expect_status(put(s, statement(), "not-a-uuid"), 400)


@check("STR-W-002", area=AREA)
def put_with_array_body(s: Session) -> None:
    """PUT takes one statement, not an array."""
    s.expect_status(put(s, [statement()], uid()), 400)


@check("STR-W-003", area=AREA)
def put_with_mismatched_id(s: Session) -> None:
    """PUT whose body id differs from statementId is refused."""
    s.expect_status(put(s, statement(id=uid()), uid()), 400)


@check("STR-W-007", "STR-W-008", "ST-PROC-001", area=AREA)
def post_single_returns_id(s: Session) -> None:
    """POST of one statement answers 200 with a one-element array holding a generated UUID."""
    response = post(s, statement())
    s.expect_status(response, 200)
    ids = s.json(response)
    s.expect(isinstance(ids, list) and len(ids) == 1, f"expected [id], got {ids!r}")
    s.expect(isinstance(ids[0], str) and UUID.match(ids[0]), f"generated id {ids[0]!r}")


@check("STR-W-008", "ORD-003", "STR-W-007", area=AREA)
def post_batch_returns_ids_in_order(s: Session) -> None:
    """A batch answers with its ids, generated ones included, in submission order."""
    first, third = uid(), uid()
    batch = [statement(id=first), statement(), statement(id=third)]
    response = post(s, batch)
    s.expect_status(response, 200)
    ids = s.json(response)
    s.expect(isinstance(ids, list) and len(ids) == 3, f"expected 3 ids, got {ids!r}")
    s.expect(ids[0] == first and ids[2] == third, f"ids out of order: {ids}")
    s.expect(UUID.match(str(ids[1])) and ids[1] not in (first, third), "bad generated id")


@check("STR-W-012", "ERR-004", area=AREA)
def post_malformed_json(s: Session) -> None:
    """A body that is not JSON is refused."""
    response = s.request(
        "POST", "statements", content='{"actor": ', headers={"Content-Type": "application/json"}
    )
    s.expect_status(response, 400)


@check("STR-W-012", area=AREA)
def post_json_that_is_not_statements(s: Session) -> None:
    """JSON that is neither a statement nor an array of statements is refused."""
    for body in (42, "statement", [1, 2], None):
        s.expect_status(post(s, body), 400, why=f"body {json.dumps(body)}")


@check("ERR-009", area=AREA)
def batch_with_one_invalid_statement_stores_nothing(s: Session) -> None:
    """One bad statement makes the whole batch fail and none of it is stored."""
    good = uid()
    bad = statement(verb={"id": "not an iri"})
    s.expect_status(post(s, [statement(id=good), bad]), 400)
    s.expect_status(s.get("statements", {"statementId": good}), 404, why="partial batch stored")


@check("STR-W-009", area=AREA)
def batch_with_duplicate_ids(s: Session) -> None:
    """A batch in which two statements share an id is refused."""
    sid = uid()
    s.expect_status(post(s, [statement(id=sid), statement(id=sid)]), 400)


@check("ERR-014", "STR-W-006", "ST-PROC-015", area=AREA)
def conflicting_resubmission_gets_409(s: Session) -> None:
    """Re-sending an id with different content is a conflict."""
    sid = uid()
    s.expect_status(put(s, statement(id=sid), sid), 204)
    s.expect_status(put(s, statement(id=sid), sid), 409, why="different actor and object")
    s.expect_status(post(s, statement(id=sid)), 409, why="POST with a conflicting id")


@check("STR-W-005", area=AREA)
def existing_statement_is_never_changed(s: Session) -> None:
    """Whatever the answer to a conflicting write, the stored statement stays as it was."""
    sid = uid()
    original = statement(id=sid)
    s.expect_status(put(s, original, sid), 204)
    put(s, statement(id=sid, verb=verb("changed")), sid)
    post(s, statement(id=sid, verb=verb("changed-again")))
    got = fetch(s, sid)
    s.expect(got.get("verb") == original["verb"], f"statement changed: {got.get('verb')}")
    s.expect(got.get("actor") == original["actor"], "actor changed")


@check("STR-W-006", "ST-PROC-015", area=AREA)
def equivalent_resubmission_is_accepted(s: Session) -> None:
    """Re-sending the same statement (group members reordered) is not a conflict."""
    sid = uid()
    members = [agent(), agent()]
    first = statement(id=sid, actor={"objectType": "Group", "member": members})
    s.expect_status(put(s, first, sid), 204)
    again = statement(id=sid, actor={"objectType": "Group", "member": members[::-1]})
    again["verb"], again["object"] = first["verb"], first["object"]
    s.expect_status(put(s, again, sid), 204, 200, why="equivalent statement")
    s.expect_status(post(s, first), 200, why="identical statement")


@check("STR-W-011", "STR-R-008", area=AREA)
def writes_send_consistent_through(s: Session) -> None:
    """PUT and POST answers carry X-Experience-API-Consistent-Through."""
    for response in (put(s, statement(), uid()), post(s, statement())):
        value = response.headers.get("X-Experience-API-Consistent-Through")
        s.expect(value, f"{response.request.method}: no Consistent-Through header")
        try:
            instant(str(value))
        except ValueError:
            s.expect(False, f"Consistent-Through {value!r} is not an ISO 8601 timestamp")


@check("ST-PROC-002", "ST-PROC-005", area=AREA)
def lrs_sets_stored_and_authority(s: Session) -> None:
    """stored is set by the LRS (replacing a client value) and every statement has authority."""
    sent = statement(stored="2001-01-01T00:00:00.000Z")
    got = fetch(s, store(s, sent)[0])
    s.expect("stored" in got, "no stored property")
    s.expect(instant(got["stored"]).year != 2001, "client-supplied stored was kept")
    s.expect(isinstance(got.get("authority"), dict), "no authority on stored statement")


@check("ST-PROC-004", area=AREA)
def missing_timestamp_is_filled(s: Session) -> None:
    """A statement sent without timestamp comes back with one (the stored value)."""
    got = fetch(s, store(s, statement())[0])
    s.expect("timestamp" in got, "timestamp not filled in")


@check("ST-PROC-006", area=AREA)
def client_authority_is_replaced(s: Session) -> None:
    """The LRS derives authority from the credentials instead of trusting the client."""
    claimed = agent(name="Claimed Authority")
    got = fetch(s, store(s, statement(authority=claimed))[0])
    s.expect(got.get("authority") != claimed, "client-supplied authority kept as is")


@check("ST-PROC-008", area=AREA, versions={"1.0.3"})
def basic_auth_authority_is_an_agent(s: Session) -> None:
    """Under HTTP Basic the authority is the user's Agent (one IFI)."""
    auth = fetch(s, store(s, statement())[0]).get("authority", {})
    s.expect(auth.get("objectType", "Agent") == "Agent", f"authority is {auth}")
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in auth]
    s.expect(len(ifis) == 1, f"authority {auth} does not have exactly one IFI")


@check("ST-PROC-009", area=AREA)
def same_credentials_same_authority(s: Session) -> None:
    """The same credentials always map to the same authority."""
    first, second = store(s, statement()), store(s, statement())
    a, b = fetch(s, first[0]).get("authority"), fetch(s, second[0]).get("authority")
    s.expect(a == b and a is not None, f"authorities differ: {a} vs {b}")


@check("ST-PROC-011", "VER-004", area=AREA)
def default_version_is_set(s: Session) -> None:
    """A statement sent without version is stored with 1.0.0 (2.0.0 under 2.0)."""
    want = "2.0.0" if s.is_v2 else "1.0.0"
    got = fetch(s, store(s, statement())[0])
    s.expect(got.get("version") == want, f"version {got.get('version')!r}, want {want}")


@check("ST-PROC-011", "VER-004", area=AREA, versions={"1.0.3"})
def given_version_is_kept(s: Session) -> None:
    """A statement sent with version 1.0.0 keeps it."""
    got = fetch(s, store(s, statement(version="1.0.0"))[0])
    s.expect(got.get("version") == "1.0.0", f"version {got.get('version')!r}")


@check("ST-PROC-012", area=AREA)
def context_activities_become_arrays(s: Session) -> None:
    """A single contextActivities object is returned as a one-element array."""
    parent = activity()
    got = fetch(s, store(s, statement(context={"contextActivities": {"parent": parent}}))[0])
    value = got.get("context", {}).get("contextActivities", {}).get("parent")
    s.expect(isinstance(value, list) and len(value) == 1, f"parent came back as {value!r}")
    s.expect(value[0].get("id") == parent["id"], "wrong parent activity")


@check("ST-PROC-017", "ST-PROC-016", area=AREA)
def timestamps_returned_in_utc(s: Session) -> None:
    """Timestamps given with an offset come back in UTC."""
    got = fetch(s, store(s, statement(timestamp="2013-05-18T05:32:34.804+05:30"))[0])
    value = str(got.get("timestamp"))
    s.expect(value.endswith(("Z", "+00:00")), f"timestamp {value} not in UTC")


@check("ST-VAL-125", area=AREA)
def offset_timestamps_converted(s: Session) -> None:
    """Under 2.0 a timestamp with an offset is accepted and converted to the same UTC instant."""
    sent = "2013-05-18T05:32:34.804+05:30"
    got = fetch(s, store(s, statement(timestamp=sent))[0])
    value = str(got.get("timestamp"))
    s.expect(instant(value) == instant(sent), f"instant changed: {value}")
    s.expect(value.endswith(("Z", "+00:00")), f"timestamp {value} not converted to UTC")


@check("ST-VAL-123", area=AREA)
def timestamps_keep_milliseconds(s: Session) -> None:
    """Millisecond precision survives storage."""
    got = fetch(s, store(s, statement(timestamp="2013-05-18T05:32:34.123Z"))[0])
    value = instant(str(got.get("timestamp")))
    s.expect(value.microsecond // 1000 == 123, f"milliseconds lost: {got.get('timestamp')}")


@check("ST-PROC-022", area=AREA)
def statements_cannot_be_deleted(s: Session) -> None:
    """There is no xAPI way to delete a statement."""
    sid = store(s, statement())[0]
    response = s.request("DELETE", "statements", params={"statementId": sid})
    s.expect(not response.is_success, f"DELETE /statements answered {response.status_code}")
    fetch(s, sid)


@check("ST-PROC-018", "ACT-004", area=AREA)
def one_activity_id_is_one_activity(s: Session) -> None:
    """Two statements with different definitions for one activity id are both accepted."""
    act = activity(name={"en-US": "First"})
    other = {"objectType": "Activity", "id": act["id"], "definition": {"name": {"en-US": "2"}}}
    store(s, statement(object=act))
    store(s, statement(object=other))
    response = s.get("activities", {"activityId": act["id"]})
    s.expect_status(response, 200)
    s.expect(s.json(response).get("id") == act["id"], "activity id changed")


@check("ST-VAL-144", area=AREA)
def durations_compared_to_hundredths(s: Session) -> None:
    """Durations differing below 0.01 s do not make a resubmission a conflict."""
    sid = uid()
    first = statement(id=sid, result={"duration": "PT1.001S"})
    s.expect_status(put(s, first, sid), 204)
    again = {**first, "result": {"duration": "PT1.0014S"}}
    s.expect_status(put(s, again, sid), 204, 200, why="same duration to 0.01 s")
