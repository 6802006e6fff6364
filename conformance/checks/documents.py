"""Rules common to State, Activity Profile and Agent Profile documents (DOC-*, CT-005).

Each check is generated once per document resource, under that resource's area.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from ..http import Session
from ..registry import add
from ..xapi import agent, agent_param, statement, store, stored_at
from ._docs import KINDS, Kind, cleanup, create, doc_params, post_doc, put_doc

DocCheck = Callable[[Session, Kind], None]
BINARY = bytes(range(256)) * 4
CREATE = {"If-None-Match": "*"}


def put_then_get(s: Session, k: Kind) -> None:
    """PUT stores any media type (even for unknown activity/agent) and GET returns it as stored."""
    p = doc_params(k, k.scope(), "binary")
    s.expect_status(put_doc(s, k, p, BINARY, "application/x-conformance", CREATE), 204)
    got = s.get(k.path, p)
    s.expect_status(got, 200)
    s.expect(got.content == BINARY, "document bytes changed")
    ctype = got.headers.get("Content-Type", "")
    s.expect(ctype.startswith("application/x-conformance"), f"Content-Type {ctype!r}")
    cleanup(s, k, p)


def put_replaces(s: Session, k: Kind) -> None:
    """A second PUT replaces the whole document."""
    p = doc_params(k, k.scope(), "replace")
    create(s, k, p, {"a": 1})
    etag = s.get(k.path, p).headers.get("ETag", "*")
    s.expect_status(put_doc(s, k, p, {"b": 2}, headers={"If-Match": etag}), 204)
    s.expect(s.json(s.get(k.path, p)) == {"b": 2}, "document not replaced")
    cleanup(s, k, p)


def post_merges(s: Session, k: Kind) -> None:
    """POST creates a missing document, then merges top-level keys into it."""
    p = doc_params(k, k.scope(), "merge")
    s.expect_status(post_doc(s, k, p, {"a": 1, "b": {"x": 1}}), 204, why="POST creates")
    s.expect(s.json(s.get(k.path, p)) == {"a": 1, "b": {"x": 1}}, "POST did not create")
    s.expect_status(post_doc(s, k, p, {"b": {"y": 2}, "c": 3}), 204, why="POST merges")
    got = s.json(s.get(k.path, p))
    s.expect(got == {"a": 1, "b": {"y": 2}, "c": 3}, f"merged document is {got}")
    cleanup(s, k, p)


def post_onto_non_json(s: Session, k: Kind) -> None:
    """POST merges only JSON objects; otherwise 400 and no change."""
    p = doc_params(k, k.scope(), "text")
    s.expect_status(put_doc(s, k, p, b"plain text", "text/plain", CREATE), 204)
    s.expect_status(post_doc(s, k, p, {"a": 1}), 400, why="stored document is text/plain")
    s.expect(s.get(k.path, p).content == b"plain text", "text document changed")
    q = doc_params(k, k.scope(), "json")
    create(s, k, q, {"a": 1})
    s.expect_status(post_doc(s, k, q, [1, 2]), 400, why="posted JSON is not an object")
    s.expect_status(post_doc(s, k, q, b"x=1", "text/plain"), 400, why="posted text/plain")
    s.expect(s.json(s.get(k.path, q)) == {"a": 1}, "JSON document changed")
    cleanup(s, k, p)
    cleanup(s, k, q)


def missing_is_404(s: Session, k: Kind) -> None:
    """Single GET of a missing document is 404."""
    s.expect_status(s.get(k.path, doc_params(k, k.scope(), "missing")), 404)


def delete_removes(s: Session, k: Kind) -> None:
    """DELETE removes the document and answers 204."""
    p = doc_params(k, k.scope(), "delete-me")
    create(s, k, p, {"a": 1})
    s.expect_status(s.request("DELETE", k.path, params=p), 204)
    s.expect_status(s.get(k.path, p), 404, why="deleted document still there")


def lists_ids(s: Session, k: Kind) -> None:
    """Without a document id, GET lists the ids in scope ([] when none)."""
    scope = k.scope()
    empty = s.get(k.path, scope)
    s.expect_status(empty, 200)
    s.expect(s.json(empty) == [], f"fresh scope lists {empty.text}")
    for doc_id in ("one", "two"):
        create(s, k, doc_params(k, scope, doc_id), {"id": doc_id})
    listed = s.json(s.get(k.path, scope))
    s.expect(sorted(listed) == ["one", "two"], f"listed {listed}")
    for doc_id in ("one", "two"):
        cleanup(s, k, doc_params(k, scope, doc_id))


def since_filters_ids(s: Session, k: Kind) -> None:
    """since lists only documents changed strictly after it."""
    scope = k.scope()
    create(s, k, doc_params(k, scope, "old"), {"v": 1})
    # The LRS's own clock anchors `since`: a statement stored between the two writes.
    time.sleep(0.5)
    since = stored_at(s, store(s, statement())[0])
    time.sleep(0.5)
    create(s, k, doc_params(k, scope, "new"), {"v": 2})
    response = s.get(k.path, {**scope, "since": since})
    s.expect_status(response, 200)
    s.expect(s.json(response) == ["new"], f"since={since} listed {response.text}")
    for doc_id in ("old", "new"):
        cleanup(s, k, doc_params(k, scope, doc_id))


def last_modified(s: Session, k: Kind) -> None:
    """Single GET sends Last-Modified."""
    p = doc_params(k, k.scope(), "lm")
    create(s, k, p, {"a": 1})
    s.expect(s.get(k.path, p).headers.get("Last-Modified"), "no Last-Modified")
    cleanup(s, k, p)


def list_last_modified(s: Session, k: Kind) -> None:
    """id-list GET sends Last-Modified."""
    scope = k.scope()
    create(s, k, doc_params(k, scope, "lm"), {"a": 1})
    s.expect(s.get(k.path, scope).headers.get("Last-Modified"), "no Last-Modified on list")
    cleanup(s, k, doc_params(k, scope, "lm"))


def params_validated(s: Session, k: Kind) -> None:
    """agent, activityId and since values are validated."""
    base = doc_params(k, k.scope(), "x")
    bad: list[dict[str, str]] = [{**k.scope(), "since": "not a time"}]
    if k.uses_agent:
        bad += [{**base, "agent": "{"}, {**base, "agent": '{"name": "no ifi"}'}]
    if k.uses_activity:
        bad.append({**base, "activityId": "not an iri"})
    for params in bad:
        s.expect_status(s.get(k.path, params), 400, why=f"params {params}")


def required_params(s: Session, k: Kind) -> None:
    """Each scope parameter is required; unknown parameters are refused."""
    full = doc_params(k, k.scope(), "x")
    for key in [key for key in full if key != k.id_param]:
        partial = {n: v for n, v in full.items() if n != key}
        s.expect_status(put_doc(s, k, partial, {"a": 1}), 400, why=f"PUT without {key}")
        s.expect_status(s.get(k.path, partial), 400, why=f"GET without {key}")
    s.expect_status(s.get(k.path, {**full, "foo": "bar"}), 400, why="unknown parameter")


def keyed_by_ifi(s: Session, k: Kind) -> None:
    """Documents are keyed on the agent's IFI; the name does not matter."""
    if not k.uses_agent:
        s.skip("resource has no agent parameter")
    who = agent()
    scope = k.scope()
    p = {**doc_params(k, scope, "ifi"), "agent": agent_param({**who, "name": "Some Name"})}
    create(s, k, p, {"a": 1})
    q = {**p, "agent": json.dumps({"mbox": who["mbox"]})}
    response = s.get(k.path, q)
    s.expect_status(response, 200, why="same IFI without name")
    s.expect(s.json(response) == {"a": 1}, "document not found by IFI alone")
    cleanup(s, k, p)


def ids_are_arbitrary(s: Session, k: Kind) -> None:
    """Document ids are arbitrary strings, unique only within their scope."""
    scope, other = k.scope(), k.scope()
    weird = "a/b c?d&e=é#1"
    create(s, k, doc_params(k, scope, weird), {"w": 1})
    s.expect(s.json(s.get(k.path, doc_params(k, scope, weird))) == {"w": 1}, "odd id lost")
    create(s, k, doc_params(k, other, weird), {"w": 2})
    s.expect(s.json(s.get(k.path, doc_params(k, scope, weird))) == {"w": 1}, "scopes mixed")
    cleanup(s, k, doc_params(k, scope, weird))
    cleanup(s, k, doc_params(k, other, weird))


def charset_json_merges(s: Session, k: Kind) -> None:
    """application/json with a charset parameter still merges."""
    p = doc_params(k, k.scope(), "charset")
    create(s, k, p, {"a": 1})
    ctype = "application/json; charset=utf-8"
    s.expect_status(post_doc(s, k, p, {"b": 2}, ctype), 204)
    s.expect(s.json(s.get(k.path, p)) == {"a": 1, "b": 2}, "charset JSON not merged")
    cleanup(s, k, p)


TABLE: list[tuple[str, tuple[str, ...], DocCheck, tuple[str, ...] | None]] = [
    ("put-then-get", ("DOC-002", "DOC-006", "CT-005", "DOC-001", "DOC-010"), put_then_get, None),
    ("put-replaces", ("DOC-002",), put_replaces, None),
    ("post-merges", ("DOC-003", "DOC-004"), post_merges, None),
    ("post-onto-non-json", ("DOC-005",), post_onto_non_json, None),
    ("missing-is-404", ("DOC-009",), missing_is_404, None),
    ("delete-removes", ("DOC-010",), delete_removes, None),
    ("lists-ids", ("DOC-011",), lists_ids, None),
    ("since-filters-ids", ("DOC-012", "DOC-017"), since_filters_ids, None),
    ("last-modified", ("DOC-007", "DOC-017"), last_modified, None),
    ("list-last-modified", ("DOC-008",), list_last_modified, None),
    ("params-validated", ("DOC-013", "ERR-007"), params_validated, None),
    ("required-params", ("DOC-014", "ERR-008", "ERR-005"), required_params, None),
    ("keyed-by-ifi", ("DOC-015",), keyed_by_ifi, None),
    ("ids-are-arbitrary", ("DOC-018",), ids_are_arbitrary, None),
    ("charset-json-merges", ("CT-006",), charset_json_merges, None),
]
EXTRA_IDS = {
    "lists-ids": {
        "documents-state": ("DOC-ST-003",),
        "documents-activity-profile": ("DOC-ACP-002",),
        "documents-agent-profile": ("DOC-AGP-002",),
    },
    "required-params": {
        "documents-state": ("DOC-ST-001",),
        "documents-activity-profile": ("DOC-ACP-001",),
        "documents-agent-profile": ("DOC-AGP-001",),
    },
    "since-filters-ids": {
        "documents-state": ("DOC-ST-003",),
        "documents-activity-profile": ("DOC-ACP-002",),
        "documents-agent-profile": ("DOC-AGP-002",),
    },
}


def _bind(func: DocCheck, kind: Kind) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        func(s, kind)

    run.__doc__ = func.__doc__
    return run


for _kind in KINDS:
    for _name, _ids, _func, _ in TABLE:
        if _name == "keyed-by-ifi" and not _kind.uses_agent:
            continue
        _all = _ids + EXTRA_IDS.get(_name, {}).get(_kind.area, ())
        add(f"{_kind.area}/{_name}", _all, _kind.area, _bind(_func, _kind))
