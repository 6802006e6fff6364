"""Where ADL's reference suite reads the texts strictly (REF-001..REF-008).

Each check sends the requests the reference suite sends and expects the statuses it
expects, under the request versions the line names.
"""

from __future__ import annotations

from ..http import Session
from ..multipart import attachment_object, data_part, json_part
from ..registry import check
from ..xapi import Json, activity, agent, post, statement, store, uid, verb
from ._docs import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    Kind,
    cleanup,
    create,
    doc_params,
    put_doc,
)
from .attachments import send, unique_data

VALIDATION = "statements-validation"
HOMEPAGE = "http://example.com/xapi-conformance/accounts"


def _group(members: int, **ifi: object) -> Json:
    return {"objectType": "Group", "member": [agent() for _ in range(members)], **ifi}


@check("REF-001", area=VALIDATION)
def authority_is_validated(s: Session) -> None:
    """A supplied authority must be an Agent or an Anonymous Group of exactly two Agents."""
    refused: dict[str, Json] = {
        "identified Group (mbox)": _group(2, mbox="mailto:authority-group@example.com"),
        "identified Group (mbox_sha1sum)": _group(
            2, mbox_sha1sum="f427d80dc332a166bf5f160ec15f009ce7e68c4c"
        ),
        "identified Group (openid)": _group(2, openid="http://example.com/authority-group"),
        "identified Group (account)": _group(2, account={"homePage": HOMEPAGE, "name": "grp"}),
        "Group of one": _group(1),
        "Group of three": _group(3),
    }
    for why, authority in refused.items():
        s.expect_status(post(s, statement(authority=authority)), 400, why=why)
    for why, authority in {"Agent": agent(), "Group of two": _group(2)}.items():
        s.expect_status(post(s, statement(authority=authority)), 200, why=why)


@check("REF-002", area=VALIDATION)
def version_without_patch_level(s: Session) -> None:
    """A statement `version` of `1.0` (and `2.0` under 2.0) is accepted."""
    s.expect_status(post(s, statement(version="1.0")), 200, why="version 1.0")
    if s.is_v2:
        s.expect_status(post(s, statement(version="2.0")), 200, why="version 2.0")


@check("REF-003", area=VALIDATION)
def negative_zero_offset_refused(s: Session) -> None:
    """A timestamp with offset -00, -0000 or -00:00 is refused, also in a SubStatement."""
    for offset in ("-00", "-0000", "-00:00"):
        stamp = f"2024-05-01T12:30:00.000{offset}"
        _refuse(s, statement(timestamp=stamp), f"statement timestamp {stamp}")
        inner = {
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": verb(),
            "object": activity(),
            "timestamp": stamp,
        }
        _refuse(s, statement(object=inner), f"SubStatement timestamp {stamp}")
    s.expect_status(
        post(s, statement(timestamp="2024-05-01T12:30:00.000+00:00")), 200, why="+00:00"
    )


def _refuse(s: Session, body: Json, why: str) -> None:
    s.expect_status(post(s, body), 400, why=why)


def _non_activity_objects() -> dict[str, Json]:
    return {
        "Agent": agent(),
        "Group": {"objectType": "Group", "member": [agent()]},
        "StatementRef": {"objectType": "StatementRef", "id": uid()},
        "SubStatement": {
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": verb(),
            "object": activity(),
        },
    }


@check("REF-004", "ST-VAL-106", area=VALIDATION)
def revision_and_platform_need_an_activity(s: Session) -> None:
    """context.revision and context.platform are refused unless the object is an Activity."""
    for key in ("revision", "platform"):
        for kind, target in _non_activity_objects().items():
            body = statement(object=target, context={key: "1"})
            _refuse(s, body, f"context.{key} with a {kind} object")
        inner = {
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": verb(),
            "object": agent(),
            "context": {key: "1"},
        }
        _refuse(s, statement(object=inner), f"context.{key} in a SubStatement about an Agent")


@check("REF-005", area="attachments")
def part_matched_by_hash_alone(s: Session) -> None:
    """A part whose size differs from the declared `length` is accepted (matched by hash)."""
    data = unique_data()
    described = attachment_object(data)
    described["length"] = len(data) + 10
    body = statement(attachments=[described])
    s.expect_status(send(s, [json_part(body), data_part(data)]), 200)


@check("REF-006", area="statements-query")
def ids_format_everywhere(s: Session) -> None:
    """format=ids leaves only `id` on every Verb and Activity, SubStatements included."""
    inner_activity = activity(name={"en-US": "inner"}, type="http://example.com/type")
    inner = {
        "objectType": "SubStatement",
        "actor": agent(),
        "verb": verb("attempted"),
        "object": inner_activity,
    }
    sid = store(s, statement(object=inner))[0]
    got = s.json(s.get("statements", {"statementId": sid, "format": "ids"}))
    s.expect(got["verb"] == {"id": verb()["id"]}, f"top-level verb {got['verb']}")
    sub = got["object"]
    s.expect(sub.get("verb") == {"id": verb("attempted")["id"]}, f"inner verb {sub.get('verb')}")
    s.expect(
        sub.get("object") == {"id": inner_activity["id"]}, f"inner activity {sub.get('object')}"
    )
    top = store(s, statement(object=activity(name={"en-US": "top"})))[0]
    got_top = s.json(s.get("statements", {"statementId": top, "format": "ids"}))
    s.expect(set(got_top["object"]) == {"id"}, f"top-level activity {got_top['object']}")


def _headerless_profile_put(s: Session, kind: Kind) -> None:
    params = doc_params(kind, kind.scope(), "reference-headerless")
    if s.is_v2:
        s.expect_status(put_doc(s, kind, params, {"a": 1}), 204, why="2.0: a new document")
    else:
        s.expect_status(put_doc(s, kind, params, {"a": 1}), 400, why="new document, no header")
        s.expect_status(s.get(kind.path, params), 404, why="nothing stored")
        created = put_doc(s, kind, params, {"a": 1}, headers={"If-None-Match": "*"})
        s.expect_status(created, 204, why="If-None-Match: * creates")
    s.expect_status(put_doc(s, kind, params, {"b": 2}), 409, why="existing document, no header")
    cleanup(s, kind, params)


@check("REF-007", area="documents-activity-profile")
def activity_profile_put_needs_a_header(s: Session) -> None:
    """1.0.x: a header-less Activity Profile PUT is 400 (409 over an existing one); 2.0
    lets it create."""
    _headerless_profile_put(s, ACTIVITY_PROFILE)


@check("REF-007", area="documents-agent-profile")
def agent_profile_put_needs_a_header(s: Session) -> None:
    """1.0.x: a header-less Agent Profile PUT is 400 (409 over an existing one); 2.0 lets
    it create."""
    _headerless_profile_put(s, AGENT_PROFILE)


@check("REF-008", area="documents-state")
def state_put_over_existing_is_409(s: Session) -> None:
    """2.0: a header-less State PUT over an existing document is 409, nothing changed; 1.0.x
    keeps the State exemption (DOC-ST-006)."""
    params = doc_params(STATE, STATE.scope(), "reference-state")
    create(s, STATE, params, {"a": 1})
    response = put_doc(s, STATE, params, {"b": 2})
    if not s.is_v2:
        s.expect_status(response, 204, why="1.0.x State exemption")
        cleanup(s, STATE, params)
        return
    s.expect_status(response, 409)
    s.expect(bool(response.content), "409 without a message")
    s.expect(s.json(s.get(STATE.path, params)) == {"a": 1}, "document changed")
    cleanup(s, STATE, params)
