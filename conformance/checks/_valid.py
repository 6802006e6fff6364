"""Table of valid statements of every shape: each must be accepted and read back unchanged."""

from __future__ import annotations

import uuid
from typing import Any

from ..requirements import V2, VERSIONS
from ..xapi import Json, activity, activity_id, agent, mbox, statement, uid, verb
from ._invalid import SHA, Builder, ctx, defn, res, sub

Row = tuple[str, tuple[str, ...], Builder, tuple[str, ...]]
BOTH = VERSIONS


def interaction(kind: str, pattern: list[str], **components: Any) -> Builder:
    """An interaction activity of ``kind``."""
    body: Json = {
        "name": {"en-US": f"{kind} question"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": kind,
        "correctResponsesPattern": pattern,
    }
    body.update(components)
    return defn(**body)


def comps(*ids: str) -> list[Json]:
    """Interaction components with descriptions."""
    return [{"id": i, "description": {"en-US": f"option {i}"}} for i in ids]


def full_context() -> Json:
    """A context using every 1.0.3 property."""
    return {
        "registration": uid(),
        "instructor": agent(name="Instructor"),
        "team": {"objectType": "Group", "name": "Team", "member": [agent()]},
        "contextActivities": {
            "parent": [activity()],
            "grouping": [activity()],
            "category": [activity()],
            "other": [activity()],
        },
        "revision": "rev 1",
        "platform": "conformance",
        "language": "zh-Hant-TW",
        "statement": {"objectType": "StatementRef", "id": uid()},
        "extensions": {"http://example.com/ext/a": {"nested": [1, 2, None]}},
    }


VALID: list[Row] = [
    ("minimal", ("ST-VAL-001",), statement, BOTH),
    (
        "agent by mbox_sha1sum",
        ("ST-VAL-033",),
        lambda: statement(actor={"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}),
        BOTH,
    ),
    (
        "agent by openid",
        ("ST-VAL-034",),
        lambda: statement(actor={"openid": f"http://example.com/openid/{uid()}"}),
        BOTH,
    ),
    (
        "agent by account",
        ("ST-VAL-035",),
        lambda: statement(
            actor={
                "objectType": "Agent",
                "account": {"homePage": "http://example.com", "name": uid()},
            }
        ),
        BOTH,
    ),
    (
        "anonymous group actor",
        ("ST-VAL-038",),
        lambda: statement(actor={"objectType": "Group", "member": [agent(), agent(name="B")]}),
        BOTH,
    ),
    (
        "identified group without members",
        ("ST-VAL-039",),
        lambda: statement(actor={"objectType": "Group", "mbox": mbox()}),
        BOTH,
    ),
    ("agent object", ("ST-VAL-064",), lambda: statement(object=agent()), BOTH),
    (
        "group object",
        ("ST-VAL-064",),
        lambda: statement(object={"objectType": "Group", "mbox": mbox(), "member": [agent()]}),
        BOTH,
    ),
    (
        "object without objectType",
        ("ST-VAL-060",),
        lambda: statement(object={"id": activity_id()}),
        BOTH,
    ),
    (
        "verb without display",
        ("ST-VAL-051",),
        lambda: statement(verb={"id": "http://example.com/verbs/v"}),
        BOTH,
    ),
    (
        "statement id UUID v1",
        ("ST-VAL-021",),
        lambda: statement(id=str(uuid.uuid1())),
        BOTH,
    ),
    (
        "StatementRef to unknown statement",
        ("ST-VAL-081",),
        lambda: statement(object={"objectType": "StatementRef", "id": uid()}),
        BOTH,
    ),
    (
        "SubStatement with result context timestamp",
        ("ST-VAL-086", "ST-VAL-082"),
        sub(
            result={"success": True},
            context={"registration": uid()},
            timestamp="2013-05-18T05:32:34.804Z",
        ),
        BOTH,
    ),
    (
        "SubStatement timestamp in the future",
        ("ST-VAL-085",),
        sub(timestamp="2999-01-01T00:00:00.000Z"),
        BOTH,
    ),
    (
        "full result",
        ("ST-VAL-090", "ST-VAL-093", "HDR-013", "ST-PROC-014"),
        res(
            score={"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
            success=True,
            completion=False,
            response="We agreed on some example actions.",
            duration="PT1H0M0S",
            extensions={"http://example.com/ext/r": None},
        ),
        BOTH,
    ),
    (
        "full context",
        (
            "ST-VAL-100",
            "ST-VAL-101",
            "ST-VAL-102",
            "ST-VAL-103",
            "ST-VAL-104",
            "ST-VAL-107",
            "ST-VAL-108",
        ),
        lambda: statement(context=full_context()),
        BOTH,
    ),
    (
        "group instructor",
        ("ST-VAL-102",),
        ctx(instructor={"objectType": "Group", "member": [agent()]}),
        BOTH,
    ),
    (
        "activity with full definition",
        ("ST-VAL-062", "ST-VAL-063", "ST-VAL-172"),
        defn(
            name={"en-US": "Example", "fr": "Exemple"},
            description={"en-US": "desc"},
            type="http://adlnet.gov/expapi/activities/course",
            moreInfo="http://example.com/more",
            extensions={"http://example.com/ext/d": 1},
        ),
        BOTH,
    ),
    ("true-false interaction", ("ST-VAL-070",), interaction("true-false", ["true"]), BOTH),
    (
        "choice interaction",
        ("ST-VAL-070", "ST-VAL-072", "ORD-007"),
        interaction("choice", ["golf[,]tetris"], choices=comps("golf", "facebook", "tetris")),
        BOTH,
    ),
    (
        "fill-in interaction",
        ("ST-VAL-070", "ST-VAL-076"),
        interaction(
            "fill-in",
            ["{case_matters=false}{lang=en}To store and provide access to learning experiences."],
        ),
        BOTH,
    ),
    (
        "long-fill-in interaction",
        ("ST-VAL-070", "LIM-007", "ST-VAL-075"),
        interaction("long-fill-in", ["{order_matters=maybe}" + "word " * 2000]),
        BOTH,
    ),
    (
        "matching interaction",
        ("ST-VAL-070", "ST-VAL-072"),
        interaction(
            "matching",
            ["ben[.]3[,]chris[.]2"],
            source=comps("ben", "chris"),
            target=comps("1", "2", "3"),
        ),
        BOTH,
    ),
    (
        "performance interaction",
        ("ST-VAL-070", "ST-VAL-072"),
        interaction("performance", ["pong[.]1:[,]dg[.]:10"], steps=comps("pong", "dg")),
        BOTH,
    ),
    (
        "sequencing interaction",
        ("ST-VAL-070",),
        interaction("sequencing", ["tim[,]mike[,]ells"], choices=comps("tim", "mike", "ells")),
        BOTH,
    ),
    (
        "likert interaction",
        ("ST-VAL-070",),
        interaction(
            "likert", ["likert_3"], scale=comps("likert_0", "likert_1", "likert_2", "likert_3")
        ),
        BOTH,
    ),
    ("numeric interaction", ("ST-VAL-070",), interaction("numeric", ["4[:]"]), BOTH),
    ("other interaction", ("ST-VAL-070",), interaction("other", ["(35.937432,-86.868896)"]), BOTH),
    (
        "many correct responses",
        ("ST-VAL-075",),
        interaction("choice", [f"c{i}" for i in range(300)], choices=comps("a")),
        BOTH,
    ),
    (
        "single contextActivities object",
        ("ST-VAL-105",),
        ctx(contextActivities={"parent": {"id": activity_id()}}),
        BOTH,
    ),
    (
        "extension values of any JSON type",
        ("ST-VAL-171",),
        res(
            extensions={
                "http://example.com/e1": None,
                "http://example.com/e2": [1, "a", {"b": False}],
            }
        ),
        BOTH,
    ),
    (
        "attachment with fileUrl",
        ("CT-002", "ST-VAL-136", "ST-VAL-137"),
        lambda: statement(
            attachments=[
                {
                    "usageType": "http://example.com/usage",
                    "display": {"en-US": "file"},
                    "description": {"en-US": "d"},
                    "contentType": "text/plain",
                    "length": 27,
                    "sha2": SHA,
                    "fileUrl": "http://example.com/nowhere/file.txt",
                }
            ]
        ),
        BOTH,
    ),
    (
        "properties in unusual order",
        ("ST-VAL-011",),
        lambda: {"object": activity(), "verb": verb(), "actor": agent(), "id": uid()},
        BOTH,
    ),
    (
        "timestamp with offset",
        ("ST-VAL-120", "ST-VAL-121"),
        lambda: statement(timestamp="2013-05-18T05:32:34.804+05:30"),
        BOTH,
    ),
    (
        "timestamp in the future",
        ("ST-VAL-122",),
        lambda: statement(timestamp="2999-05-18T05:32:34.804Z"),
        BOTH,
    ),
    ("duration finer than 0.01 s", ("ST-VAL-143",), res(duration="PT0.0001S"), BOTH),
    ("duration in weeks", ("ST-VAL-140",), res(duration="P4W"), BOTH),
    ("version 1.0.0", ("ST-VAL-131",), lambda: statement(version="1.0.0"), ("1.0.3",)),
    ("version 2.0.0", ("ST-VAL-131",), lambda: statement(version="2.0.0"), (V2,)),
    (
        "unusual verb and activity type",
        ("ST-VAL-013",),
        lambda: statement(verb={"id": "urn:example:verb:anything"}),
        BOTH,
    ),
    ("large property", ("ST-VAL-016",), res(response="x" * 100_000), (V2,)),
    (
        "context agents and groups",
        ("ST-VAL-109", "ST-VAL-110", "ST-VAL-111", "ST-VAL-112"),
        lambda: statement(
            context={
                "contextAgents": [
                    {
                        "objectType": "contextAgent",
                        "agent": agent(),
                        "relevantTypes": ["http://example.com/types/coach"],
                    }
                ],
                "contextGroups": [
                    {
                        "objectType": "contextGroup",
                        "group": {"objectType": "Group", "member": [agent()]},
                    }
                ],
            }
        ),
        (V2,),
    ),
]
