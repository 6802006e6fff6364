"""Statement validation: invalid statements get 400 on POST and PUT; valid shapes are stored.

Cites ST-VAL-* (and CT-001, STR-W-004/007, ST-PROC-013 for the read-back checks).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..http import Session
from ..registry import add, check
from ..xapi import differences, fetch, post, put, statement, uid
from ._invalid import ROWS, Builder
from ._valid import VALID

AREA = "statements-validation"


def _refused_post(build: Builder) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        s.expect_status(post(s, build()), 400, why="invalid statement must be refused")

    return run


def _refused_put(build: Builder) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        body = build()
        sid = body.get("id") if isinstance(body.get("id"), str) and body.get("id") else uid()
        response = put(s, body, str(sid))
        s.expect_status(response, 400, why="invalid statement must be refused")

    return run


def _stored(build: Builder) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        sent = build()
        response = post(s, sent)
        s.expect_status(response, 200, why="valid statement must be accepted")
        sid = s.json(response)[0]
        got = fetch(s, sid)
        problems = differences(sent, got)
        s.expect(not problems, "read back differs: " + "; ".join(problems[:3]))

    return run


for _name, _ids, _build, _versions in ROWS:
    _slug = _name.replace(" ", "-")
    add(f"{AREA}/post-{_slug}", _ids, AREA, _refused_post(_build), versions=_versions)
    add(f"{AREA}/put-{_slug}", _ids, AREA, _refused_put(_build), versions=_versions)

for _name, _ids, _build, _versions in VALID:
    _slug = _name.replace(" ", "-")
    add(
        f"{AREA}/valid-{_slug}",
        (*_ids, "CT-001", "STR-W-007", "ST-PROC-013"),
        AREA,
        _stored(_build),
        versions=_versions,
    )


@check("ST-VAL-010", area=AREA)
def duplicate_property_refused(s: Session) -> None:
    """A statement object that repeats a property is refused."""
    body = json.dumps(statement())[:-1] + ', "verb": {"id": "http://example.com/verbs/x"}}'
    response = s.request(
        "POST", "statements", content=body, headers={"Content-Type": "application/json"}
    )
    s.expect_status(response, 400, why="duplicate 'verb' key")


@check("ST-VAL-004", "ERR-004", area=AREA)
def nan_number_refused(s: Session) -> None:
    """NaN is not JSON (RFC 8259), so a score written as NaN is malformed."""
    body = json.dumps(statement(result={"score": {"raw": 1}})).replace('"raw": 1', '"raw": NaN')
    response = s.request(
        "POST", "statements", content=body, headers={"Content-Type": "application/json"}
    )
    s.expect_status(response, 400)


@check("ST-VAL-015", area=AREA)
def numbers_keep_single_precision(s: Session) -> None:
    """Score numbers survive storage with at least 32-bit float accuracy."""
    sent = statement(result={"score": {"raw": 1234.5677, "min": -0.000123, "max": 98765.43}})
    response = post(s, sent)
    s.expect_status(response, 200)
    score = fetch(s, s.json(response)[0]).get("result", {}).get("score", {})
    for key, value in sent["result"]["score"].items():
        got = score.get(key)
        s.expect(
            isinstance(got, int | float) and abs(got - value) <= abs(value) * 1e-6,
            f"score.{key}: sent {value}, got {got}",
        )


@check("HDR-012", "ST-VAL-152", area=AREA)
def utf8_text_round_trips(s: Session) -> None:
    """Non-ASCII and markup-like text in language maps comes back byte for byte."""
    display = {"fr-CA": "a joué <b>&amp;</b> ñ ü 日本語 😀"}
    sent = statement(verb={"id": "http://example.com/verbs/joue", "display": display})
    response = post(s, sent)
    s.expect_status(response, 200)
    got = fetch(s, s.json(response)[0])
    s.expect(got.get("verb", {}).get("display") == display, f"display came back as {got}")


@check("ST-VAL-074", area=AREA)
def interaction_component_mismatch_either_way(s: Session) -> None:
    """A choice interaction carrying 'steps' may be refused (400) or accepted; nothing else."""
    definition = {"interactionType": "choice", "steps": [{"id": "a"}]}
    act = {
        "objectType": "Activity",
        "id": f"http://example.com/i/{uid()}",
        "definition": definition,
    }
    response = post(s, statement(object=act))
    s.expect_status(response, 200, 400)
