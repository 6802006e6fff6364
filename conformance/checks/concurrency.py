"""ETag concurrency for documents (CONC-*, ERR-014/015, DOC-016)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from ..http import Session
from ..registry import add
from ._docs import KINDS, Kind, cleanup, create, doc_params, post_doc, put_doc

AREA = "concurrency"
ConcCheck = Callable[[Session, Kind], None]


CREATE = {"If-None-Match": "*"}


def _etag(s: Session, k: Kind, p: dict[str, str]) -> str:
    response = s.get(k.path, p)
    s.expect_status(response, 200)
    etag = response.headers.get("ETag")
    s.expect(etag, "no ETag on GET")
    return str(etag)


def etag_present_and_quoted(s: Session, k: Kind) -> None:
    """GET and HEAD send a quoted ETag."""
    p = doc_params(k, k.scope(), "etag")
    create(s, k, p, {"a": 1})
    etag = _etag(s, k, p)
    s.expect(etag.strip("W/").startswith('"') and etag.endswith('"'), f"ETag {etag} unquoted")
    head = s.request("HEAD", k.path, params=p)
    s.expect(head.headers.get("ETag") == etag, "HEAD ETag differs from GET")
    cleanup(s, k, p)


def etag_is_sha1(s: Session, k: Kind) -> None:
    """Under 1.0.3 the ETag is the SHA-1 hex of the document bytes."""
    p = doc_params(k, k.scope(), "sha1")
    body = json.dumps({"sha": 1}).encode()
    s.expect_status(put_doc(s, k, p, body, headers=CREATE), 204)
    response = s.get(k.path, p, headers={"Accept-Encoding": "identity"})
    etag = response.headers.get("ETag", "").strip('"').lower()
    want = hashlib.sha1(response.content).hexdigest()  # noqa: S324 - recipe fixed by CONC-003
    s.expect(etag == want, f"ETag {etag} is not SHA-1 {want}")
    cleanup(s, k, p)


def no_sha1_when_encoded(s: Session, k: Kind) -> None:
    """With a non-identity transfer encoding the raw-bytes SHA-1 recipe is not applied."""
    p = doc_params(k, k.scope(), "gzip")
    body = json.dumps({"z": "z" * 4000}).encode()
    s.expect_status(put_doc(s, k, p, body, headers=CREATE), 204)
    response = s.get(k.path, p, headers={"Accept-Encoding": "gzip"})
    cleanup(s, k, p)
    if response.headers.get("Content-Encoding", "identity") == "identity":
        s.skip("LRS applied no transfer encoding")
    plain = hashlib.sha1(body).hexdigest()  # noqa: S324 - recipe fixed by CONC-003
    s.expect(response.headers.get("ETag", "").strip('"') != plain, "identity SHA-1 reused")


def if_match(s: Session, k: Kind) -> None:
    """PUT with a stale If-Match gets 412 and changes nothing; the right one proceeds."""
    p = doc_params(k, k.scope(), "if-match")
    create(s, k, p, {"v": 1})
    etag = _etag(s, k, p)
    stale = '"0000000000000000000000000000000000000000"'
    s.expect_status(put_doc(s, k, p, {"v": 2}, headers={"If-Match": stale}), 412)
    s.expect(s.json(s.get(k.path, p)) == {"v": 1}, "document changed despite 412")
    s.expect_status(put_doc(s, k, p, {"v": 3}, headers={"If-Match": etag}), 204)
    s.expect(s.json(s.get(k.path, p)) == {"v": 3}, "matching If-Match did not apply")
    cleanup(s, k, p)


def if_none_match(s: Session, k: Kind) -> None:
    """PUT with If-None-Match: * creates a new document but not over an existing one."""
    p = doc_params(k, k.scope(), "if-none-match")
    s.expect_status(put_doc(s, k, p, {"v": 1}, headers={"If-None-Match": "*"}), 204)
    s.expect_status(put_doc(s, k, p, {"v": 2}, headers={"If-None-Match": "*"}), 412)
    s.expect(s.json(s.get(k.path, p)) == {"v": 1}, "document changed despite 412")
    cleanup(s, k, p)


def post_delete_if_match(s: Session, k: Kind) -> None:
    """POST and DELETE honour If-Match."""
    p = doc_params(k, k.scope(), "pd")
    create(s, k, p, {"v": 1})
    stale = {"If-Match": '"0000000000000000000000000000000000000000"'}
    s.expect_status(post_doc(s, k, p, {"w": 2}, headers=stale), 412, why="POST")
    s.expect_status(s.request("DELETE", k.path, params=p, headers=stale), 412, why="DELETE")
    s.expect(s.json(s.get(k.path, p)) == {"v": 1}, "document changed despite 412")
    cleanup(s, k, p)


def post_if_none_match(s: Session, k: Kind) -> None:
    """POST with If-None-Match: * over an existing document gets 412."""
    p = doc_params(k, k.scope(), "pinm")
    create(s, k, p, {"v": 1})
    s.expect_status(post_doc(s, k, p, {"w": 2}, headers={"If-None-Match": "*"}), 412)
    cleanup(s, k, p)


def put_without_preconditions(s: Session, k: Kind) -> None:
    """A header-less PUT over an existing profile gets 409 (not 428) and changes nothing."""
    p = doc_params(k, k.scope(), "conflict")
    if s.is_v2:
        s.expect_status(put_doc(s, k, p, {"v": 1}), 204, why="header-less PUT of a new document")
    else:
        create(s, k, p, {"v": 1})  # 1.0.x: a profile PUT needs a header even to create (REF-007)
    response = put_doc(s, k, p, {"v": 2})
    s.expect_status(response, 409)
    s.expect(s.json(s.get(k.path, p)) == {"v": 1}, "document changed despite 409")
    cleanup(s, k, p)


def etag_changes(s: Session, k: Kind) -> None:
    """The ETag changes with the content (merges included) and If-Match: * matches."""
    p = doc_params(k, k.scope(), "changes")
    create(s, k, p, {"v": 1})
    first = _etag(s, k, p)
    s.expect_status(post_doc(s, k, p, {"w": 2}, headers={"If-Match": first}), 204)
    second = _etag(s, k, p)
    s.expect(second != first, "ETag unchanged after a merge")
    s.expect_status(put_doc(s, k, p, {"v": 3}, headers={"If-Match": "*"}), 204)
    s.expect(_etag(s, k, p) != second, "ETag unchanged after PUT")
    cleanup(s, k, p)


def if_match_missing_document(s: Session, k: Kind) -> None:
    """If-Match against a missing document fails with 412."""
    p = doc_params(k, k.scope(), "ghost")
    response = put_doc(s, k, p, {"v": 1}, headers={"If-Match": '"abc"'})
    s.expect_status(response, 412)
    cleanup(s, k, p)


TABLE: list[tuple[str, tuple[str, ...], ConcCheck, bool, set[str] | None]] = [
    ("etag-present", ("CONC-001", "CONC-002", "DOC-016"), etag_present_and_quoted, True, None),
    ("etag-sha1", ("CONC-003",), etag_is_sha1, True, {"1.0.3"}),
    ("no-sha1-when-encoded", ("CONC-004",), no_sha1_when_encoded, True, {"1.0.3"}),
    ("if-match", ("CONC-005", "ERR-015", "CONC-012", "DOC-016"), if_match, True, None),
    ("if-none-match", ("CONC-006", "ERR-015", "HDR-010"), if_none_match, True, None),
    ("post-delete-if-match", ("CONC-007",), post_delete_if_match, True, None),
    ("post-if-none-match", ("CONC-008",), post_if_none_match, True, None),
    (
        "put-without-preconditions",
        ("CONC-009", "CONC-010", "CONC-011", "ERR-014"),
        put_without_preconditions,
        False,
        None,
    ),
    ("etag-changes", ("CONC-012", "CONC-003"), etag_changes, True, None),
    ("if-match-missing", ("CONC-013",), if_match_missing_document, True, None),
]


def _bind(func: ConcCheck, kind: Kind) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        func(s, kind)

    run.__doc__ = func.__doc__
    return run


for _kind in KINDS:
    for _name, _ids, _func, _state_too, _versions in TABLE:
        if _kind.is_state and not _state_too:
            continue
        _short = _kind.area.removeprefix("documents-")
        add(
            f"{AREA}/{_short}-{_name}",
            _ids,
            AREA,
            _bind(_func, _kind),
            versions=_versions or ("1.0.3", "2.0.0"),
        )
