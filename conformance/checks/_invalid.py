"""Table of invalid statements: each row must be refused with 400 on POST and on PUT.

Rows are (name, requirement IDs, builder, versions); builders make fresh data each call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..requirements import V1, V2, VERSIONS
from ..xapi import Json, activity, activity_id, agent, mbox, statement, uid, verb

Builder = Callable[[], Json]
Row = tuple[str, tuple[str, ...], Builder, tuple[str, ...]]

SHA = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"


def st(**kw: Any) -> Json:
    """A valid statement with keys replaced."""
    return statement(**kw)


def drop(key: str) -> Builder:
    """A statement without ``key``."""

    def build() -> Json:
        s = statement()
        del s[key]
        return s

    return build


def ctx(**kw: Any) -> Builder:
    """A statement whose context is ``kw``."""
    return lambda: st(context=kw)


def res(**kw: Any) -> Builder:
    """A statement whose result is ``kw``."""
    return lambda: st(result=kw)


def defn(**kw: Any) -> Builder:
    """A statement whose object has definition ``kw``."""
    return lambda: st(object={"objectType": "Activity", "id": activity_id(), "definition": kw})


def choice(**kw: Any) -> Builder:
    """An interaction definition with a valid interactionType and ``kw`` overriding it."""
    base: Json = {"interactionType": "choice", "correctResponsesPattern": ["a"]}
    base["choices"] = [{"id": "a", "description": {"en-US": "A"}}]
    return defn(**{**base, **kw})


def sub(**kw: Any) -> Builder:
    """A statement whose object is a SubStatement with keys replaced by ``kw``."""

    def build() -> Json:
        inner: Json = {"objectType": "SubStatement", "actor": agent(), "verb": verb()}
        inner["object"] = activity()
        inner.update(kw)
        return st(object={k: v for k, v in inner.items() if v is not None})

    return build


def att(**kw: Any) -> Builder:
    """A statement with one fileUrl Attachment whose keys are replaced by ``kw``."""
    base: Json = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": 27,
        "sha2": SHA,
        "fileUrl": "http://example.com/file.txt",
    }
    base.update(kw)
    return lambda: st(attachments=[{k: v for k, v in base.items() if v is not None}])


def ca(**kw: Any) -> Builder:
    """A statement with one contextAgents entry built from ``kw``."""
    entry = {"objectType": "contextAgent", "agent": agent(), **kw}
    return ctx(contextAgents=[{k: v for k, v in entry.items() if v is not None}])


def group(**kw: Any) -> Json:
    """An anonymous group of one agent, keys replaced by ``kw``."""
    return {"objectType": "Group", "member": [agent()], **kw}


def dur(value: str) -> Builder:
    """A statement whose result.duration is ``value``."""
    return res(duration=value)


BOTH = VERSIONS
ROWS: list[Row] = [
    # general structure (ST-VAL-001..009)
    ("missing actor", ("ST-VAL-001",), drop("actor"), BOTH),
    ("missing verb", ("ST-VAL-001",), drop("verb"), BOTH),
    ("missing object", ("ST-VAL-001",), drop("object"), BOTH),
    ("null actor name", ("ST-VAL-002",), lambda: st(actor=agent(name=None)), BOTH),
    (
        "null verb display",
        ("ST-VAL-002",),
        lambda: st(verb={"id": verb()["id"], "display": None}),
        BOTH,
    ),
    ("null result score raw", ("ST-VAL-002",), res(score={"raw": None}), BOTH),
    ("null context registration", ("ST-VAL-002",), ctx(registration=None), BOTH),
    ("success as string", ("ST-VAL-003", "ST-VAL-091"), res(success="true"), BOTH),
    ("completion as number", ("ST-VAL-003", "ST-VAL-091"), res(completion=1), BOTH),
    ("raw score as string", ("ST-VAL-003", "ST-VAL-093"), res(score={"raw": "5"}), BOTH),
    ("response as number", ("ST-VAL-003", "ST-VAL-091"), res(response=5), BOTH),
    ("verb id as number", ("ST-VAL-003", "ST-VAL-050"), lambda: st(verb={"id": 123}), BOTH),
    ("actor name as number", ("ST-VAL-003", "ST-VAL-036"), lambda: st(actor=agent(name=5)), BOTH),
    ("empty statement id", ("ST-VAL-004", "ST-VAL-020"), lambda: st(id=""), BOTH),
    ("empty timestamp", ("ST-VAL-004", "ST-VAL-120"), lambda: st(timestamp=""), BOTH),
    ("empty verb id", ("ST-VAL-004", "ST-VAL-050"), lambda: st(verb={"id": ""}), BOTH),
    (
        "key Actor in wrong case",
        ("ST-VAL-005",),
        lambda: {"Actor": agent(), "verb": verb(), "object": activity()},
        BOTH,
    ),
    (
        "key objecttype in wrong case",
        ("ST-VAL-005",),
        lambda: st(object={"objecttype": "Activity", "id": activity_id()}),
        BOTH,
    ),
    (
        "verb key ID in wrong case",
        ("ST-VAL-005", "ST-VAL-052"),
        lambda: st(verb={"ID": verb()["id"]}),
        BOTH,
    ),
    (
        "objectType activity lower case",
        ("ST-VAL-006", "ST-VAL-061"),
        lambda: st(object={"objectType": "activity", "id": activity_id()}),
        BOTH,
    ),
    (
        "actor objectType agent lower case",
        ("ST-VAL-006", "ST-VAL-030"),
        lambda: st(actor={"objectType": "agent", "mbox": mbox()}),
        BOTH,
    ),
    (
        "interactionType Choice capitalised",
        ("ST-VAL-006", "ST-VAL-070"),
        choice(interactionType="Choice"),
        BOTH,
    ),
    (
        "contextActivities key Parent",
        ("ST-VAL-006", "ST-VAL-104"),
        ctx(contextActivities={"Parent": [activity()]}),
        BOTH,
    ),
    ("unknown top-level property", ("ST-VAL-007", "ST-VAL-008"), lambda: st(foo="bar"), BOTH),
    (
        "unknown property on agent",
        ("ST-VAL-007", "ST-VAL-036"),
        lambda: st(actor=agent(age=3)),
        BOTH,
    ),
    (
        "relative verb IRI",
        ("ST-VAL-009", "ST-VAL-050", "ST-VAL-160"),
        lambda: st(verb={"id": "verbs/did"}),
        BOTH,
    ),
    (
        "relative activity IRI",
        ("ST-VAL-009", "ST-VAL-062", "ST-VAL-160"),
        lambda: st(object={"id": "activities/a"}),
        BOTH,
    ),
    # ids and UUIDs (ST-VAL-020..022)
    ("id not a UUID", ("ST-VAL-020",), lambda: st(id="not-a-uuid"), BOTH),
    ("id UUID without hyphens", ("ST-VAL-020",), lambda: st(id=uid().replace("-", "")), BOTH),
    ("id UUID in braces", ("ST-VAL-020",), lambda: st(id="{" + uid() + "}"), BOTH),
    ("id as urn:uuid", ("ST-VAL-020",), lambda: st(id="urn:uuid:" + uid()), BOTH),
    ("registration not a UUID", ("ST-VAL-022", "ST-VAL-101"), ctx(registration="abc-123"), BOTH),
    (
        "StatementRef id not a UUID",
        ("ST-VAL-022", "ST-VAL-080"),
        lambda: st(object={"objectType": "StatementRef", "id": "12345"}),
        BOTH,
    ),
    # actor, agents, groups (ST-VAL-030..042)
    (
        "actor objectType Person",
        ("ST-VAL-030",),
        lambda: st(actor={"objectType": "Person", "mbox": [mbox()]}),
        BOTH,
    ),
    ("actor objectType Activity", ("ST-VAL-030",), lambda: st(actor=activity()), BOTH),
    (
        "agent without IFI",
        ("ST-VAL-031",),
        lambda: st(actor={"objectType": "Agent", "name": "x"}),
        BOTH,
    ),
    (
        "agent with two IFIs",
        ("ST-VAL-031",),
        lambda: st(actor=agent(openid="http://example.com/me")),
        BOTH,
    ),
    (
        "mbox without mailto",
        ("ST-VAL-032",),
        lambda: st(actor={"mbox": "someone@example.com"}),
        BOTH,
    ),
    ("mbox mailto without address", ("ST-VAL-032",), lambda: st(actor={"mbox": "mailto:"}), BOTH),
    (
        "mbox_sha1sum not hex SHA-1",
        ("ST-VAL-033",),
        lambda: st(actor={"mbox_sha1sum": "xyz"}),
        BOTH,
    ),
    ("openid not a URI", ("ST-VAL-034",), lambda: st(actor={"openid": "not a uri"}), BOTH),
    (
        "account without homePage",
        ("ST-VAL-035",),
        lambda: st(actor={"account": {"name": "x"}}),
        BOTH,
    ),
    (
        "account without name",
        ("ST-VAL-035",),
        lambda: st(actor={"account": {"homePage": "http://example.com"}}),
        BOTH,
    ),
    (
        "account with extra key",
        ("ST-VAL-035",),
        lambda: st(actor={"account": {"homePage": "http://example.com", "name": "x", "id": 1}}),
        BOTH,
    ),
    (
        "account homePage not an IRL",
        ("ST-VAL-035", "ST-VAL-160"),
        lambda: st(actor={"account": {"homePage": "example", "name": "x"}}),
        BOTH,
    ),
    ("group without objectType", ("ST-VAL-037",), lambda: st(actor={"member": [agent()]}), BOTH),
    (
        "anonymous group without member",
        ("ST-VAL-038",),
        lambda: st(actor={"objectType": "Group", "name": "g"}),
        BOTH,
    ),
    (
        "identified group with two IFIs",
        ("ST-VAL-039",),
        lambda: st(actor={"objectType": "Group", "mbox": mbox(), "openid": "http://example.com/g"}),
        BOTH,
    ),
    (
        "group member is a group",
        ("ST-VAL-040",),
        lambda: st(actor=group(member=[agent(), group()])),
        BOTH,
    ),
    (
        "group member without IFI",
        ("ST-VAL-041",),
        lambda: st(actor=group(member=[{"objectType": "Agent", "name": "x"}])),
        BOTH,
    ),
    (
        "group member with two IFIs",
        ("ST-VAL-041",),
        lambda: st(actor=group(member=[agent(openid="http://example.com/x")])),
        BOTH,
    ),
    (
        "object agent with bad mbox",
        ("ST-VAL-042",),
        lambda: st(object={"objectType": "Agent", "mbox": "x@example.com"}),
        BOTH,
    ),
    (
        "instructor without IFI",
        ("ST-VAL-042", "ST-VAL-102"),
        ctx(instructor={"objectType": "Agent", "name": "x"}),
        BOTH,
    ),
    ("team is an Agent", ("ST-VAL-042", "ST-VAL-103"), ctx(team=agent()), BOTH),
    (
        "authority agent without IFI",
        ("ST-VAL-042", "ST-VAL-130"),
        lambda: st(authority={"objectType": "Agent", "name": "x"}),
        BOTH,
    ),
    (
        "substatement actor without IFI",
        ("ST-VAL-042", "ST-VAL-082"),
        sub(actor={"objectType": "Agent", "name": "x"}),
        BOTH,
    ),
    # verb (ST-VAL-050..052)
    ("verb without id", ("ST-VAL-050",), lambda: st(verb={"display": {"en-US": "did"}}), BOTH),
    (
        "verb display a string",
        ("ST-VAL-051", "ST-VAL-150"),
        lambda: st(verb={"id": verb()["id"], "display": "did"}),
        BOTH,
    ),
    (
        "verb display bad language tag",
        ("ST-VAL-051", "ST-VAL-151"),
        lambda: st(verb={"id": verb()["id"], "display": {"not a tag": "x"}}),
        BOTH,
    ),
    ("verb with extra property", ("ST-VAL-052",), lambda: st(verb={**verb(), "foo": 1}), BOTH),
    # object (ST-VAL-060..064)
    (
        "object objectType Person",
        ("ST-VAL-061",),
        lambda: st(object={"objectType": "Person", "mbox": [mbox()]}),
        BOTH,
    ),
    ("activity without id", ("ST-VAL-062",), lambda: st(object={"objectType": "Activity"}), BOTH),
    (
        "activity with extra property",
        ("ST-VAL-062",),
        lambda: st(object={**activity(), "name": "x"}),
        BOTH,
    ),
    ("definition with extra property", ("ST-VAL-063",), defn(foo="bar"), BOTH),
    ("definition name not a language map", ("ST-VAL-063", "ST-VAL-150"), defn(name="x"), BOTH),
    ("definition type relative", ("ST-VAL-063", "ST-VAL-160"), defn(type="types/x"), BOTH),
    (
        "definition moreInfo not an IRL",
        ("ST-VAL-063", "ST-VAL-160"),
        defn(moreInfo="not an irl"),
        BOTH,
    ),
    (
        "definition extensions not an object",
        ("ST-VAL-063", "ST-VAL-170"),
        defn(extensions=["x"]),
        BOTH,
    ),
    ("object agent without objectType", ("ST-VAL-064",), lambda: st(object={"mbox": mbox()}), BOTH),
    # interactions (ST-VAL-070..073)
    (
        "interaction properties without interactionType",
        ("ST-VAL-070",),
        defn(choices=[{"id": "a"}], correctResponsesPattern=["a"]),
        BOTH,
    ),
    ("unknown interactionType", ("ST-VAL-070",), choice(interactionType="multiple-choice"), BOTH),
    (
        "correctResponsesPattern a string",
        ("ST-VAL-071",),
        choice(correctResponsesPattern="a"),
        BOTH,
    ),
    (
        "correctResponsesPattern of numbers",
        ("ST-VAL-071",),
        choice(correctResponsesPattern=[1]),
        BOTH,
    ),
    (
        "component without id",
        ("ST-VAL-072",),
        choice(choices=[{"description": {"en-US": "A"}}]),
        BOTH,
    ),
    (
        "component with extra property",
        ("ST-VAL-072",),
        choice(choices=[{"id": "a", "name": "A"}]),
        BOTH,
    ),
    (
        "component description a string",
        ("ST-VAL-072",),
        choice(choices=[{"id": "a", "description": "A"}]),
        BOTH,
    ),
    ("choices not an array", ("ST-VAL-072",), choice(choices={"id": "a"}), BOTH),
    ("duplicate component ids", ("ST-VAL-073",), choice(choices=[{"id": "a"}, {"id": "a"}]), BOTH),
    # StatementRef and SubStatement (ST-VAL-080..086)
    (
        "StatementRef without id",
        ("ST-VAL-080",),
        lambda: st(object={"objectType": "StatementRef"}),
        BOTH,
    ),
    (
        "StatementRef with extra property",
        ("ST-VAL-080",),
        lambda: st(object={"objectType": "StatementRef", "id": uid(), "verb": verb()}),
        BOTH,
    ),
    ("SubStatement without verb", ("ST-VAL-082",), sub(verb=None), BOTH),
    ("SubStatement with bad verb IRI", ("ST-VAL-082",), sub(verb={"id": "did"}), BOTH),
    ("SubStatement with id", ("ST-VAL-083",), sub(id=uid()), BOTH),
    ("SubStatement with stored", ("ST-VAL-083",), sub(stored="2013-05-18T05:32:34.804Z"), BOTH),
    ("SubStatement with version", ("ST-VAL-083",), sub(version="1.0.0"), BOTH),
    ("SubStatement with authority", ("ST-VAL-083",), sub(authority=agent()), BOTH),
    (
        "nested SubStatement",
        ("ST-VAL-084",),
        sub(
            object={
                "objectType": "SubStatement",
                "actor": agent(),
                "verb": verb(),
                "object": activity(),
            }
        ),
        BOTH,
    ),
    # result and score (ST-VAL-090..096)
    ("result with extra property", ("ST-VAL-090",), res(passed=True), BOTH),
    ("duration not ISO 8601", ("ST-VAL-092", "ST-VAL-140"), dur("1 hour"), BOTH),
    ("score with extra property", ("ST-VAL-093",), res(score={"raw": 1, "percent": 10}), BOTH),
    ("scaled above 1", ("ST-VAL-094",), res(score={"scaled": 1.5}), BOTH),
    ("scaled below -1", ("ST-VAL-094",), res(score={"scaled": -1.01}), BOTH),
    ("raw below min", ("ST-VAL-095",), res(score={"raw": 1, "min": 2, "max": 10}), BOTH),
    ("raw above max", ("ST-VAL-095",), res(score={"raw": 11, "min": 2, "max": 10}), BOTH),
    ("min above max", ("ST-VAL-096",), res(score={"min": 10, "max": 2}), BOTH),
    ("min equal to max", ("ST-VAL-096",), res(score={"min": 5, "max": 5}), BOTH),
    # context (ST-VAL-100..113)
    ("context with extra property", ("ST-VAL-100",), ctx(foo="bar"), BOTH),
    (
        "contextActivities unknown key",
        ("ST-VAL-104",),
        ctx(contextActivities={"sibling": [activity()]}),
        BOTH,
    ),
    (
        "contextActivities value a string",
        ("ST-VAL-105",),
        ctx(contextActivities={"parent": activity_id()}),
        BOTH,
    ),
    (
        "contextActivities activity without id",
        ("ST-VAL-105",),
        ctx(contextActivities={"parent": [{"objectType": "Activity"}]}),
        BOTH,
    ),
    (
        "revision with agent object",
        ("ST-VAL-106",),
        lambda: st(object={"objectType": "Agent", "mbox": mbox()}, context={"revision": "1"}),
        (V1,),
    ),
    (
        "platform with StatementRef object",
        ("ST-VAL-106",),
        lambda: st(object={"objectType": "StatementRef", "id": uid()}, context={"platform": "x"}),
        (V1,),
    ),
    ("revision a number", ("ST-VAL-107",), ctx(revision=1), BOTH),
    ("platform a number", ("ST-VAL-107",), ctx(platform=2), BOTH),
    ("language not a tag", ("ST-VAL-107",), ctx(language="not a tag"), BOTH),
    ("context statement an Activity", ("ST-VAL-108",), ctx(statement=activity()), BOTH),
    (
        "contextAgents not an array",
        ("ST-VAL-109",),
        lambda: st(context={"contextAgents": {"objectType": "contextAgent", "agent": agent()}}),
        (V2,),
    ),
    ("contextAgent without objectType", ("ST-VAL-109",), ca(objectType=None), (V2,)),
    ("contextAgent objectType Agent", ("ST-VAL-109",), ca(objectType="Agent"), (V2,)),
    (
        "contextAgent agent without IFI",
        ("ST-VAL-109", "ST-VAL-042"),
        ca(agent={"objectType": "Agent", "name": "x"}),
        (V2,),
    ),
    ("contextAgent extra property", ("ST-VAL-109",), ca(role="x"), (V2,)),
    (
        "contextGroup group is an Agent",
        ("ST-VAL-110",),
        lambda: st(context={"contextGroups": [{"objectType": "contextGroup", "group": agent()}]}),
        (V2,),
    ),
    (
        "contextGroup without group",
        ("ST-VAL-110",),
        lambda: st(context={"contextGroups": [{"objectType": "contextGroup"}]}),
        (V2,),
    ),
    ("relevantTypes empty", ("ST-VAL-111",), ca(relevantTypes=[]), (V2,)),
    (
        "relevantTypes relative IRI",
        ("ST-VAL-111", "ST-VAL-160"),
        ca(relevantTypes=["types/x"]),
        (V2,),
    ),
    ("contextAgents under 1.0.3", ("ST-VAL-113",), ca(), (V1,)),
    # timestamps (ST-VAL-120)
    ("timestamp a date only", ("ST-VAL-120",), lambda: st(timestamp="2013-05-18"), BOTH),
    ("timestamp month 13", ("ST-VAL-120",), lambda: st(timestamp="2013-13-18T05:32:34Z"), BOTH),
    ("timestamp free text", ("ST-VAL-120",), lambda: st(timestamp="yesterday"), BOTH),
    ("stored not a timestamp", ("ST-VAL-124",), lambda: st(stored="yesterday"), BOTH),
    # stricter variants in the spirit of the ADL suite
    ("language tag with underscore", ("ST-VAL-151",), defn(name={"en_US": "x"}), BOTH),
    (
        "contextActivities array holding a string",
        ("ST-VAL-105",),
        ctx(contextActivities={"parent": [activity_id()]}),
        BOTH,
    ),
    ("attachment sha2 empty", ("ST-VAL-138", "ST-VAL-004"), att(sha2=""), BOTH),
    (
        "objectType statementref lower case",
        ("ST-VAL-006", "ST-VAL-080"),
        lambda: st(object={"objectType": "statementref", "id": uid()}),
        BOTH,
    ),
    (
        "objectType substatement lower case",
        ("ST-VAL-006", "ST-VAL-082"),
        sub(objectType="substatement"),
        BOTH,
    ),
    (
        "group member not an array",
        ("ST-VAL-038",),
        lambda: st(actor={"objectType": "Group", "member": agent()}),
        BOTH,
    ),
    (
        "account name a number",
        ("ST-VAL-035", "ST-VAL-003"),
        lambda: st(actor={"account": {"homePage": "http://example.com", "name": 7}}),
        BOTH,
    ),
    ("negative duration", ("ST-VAL-140",), dur("-PT1H"), BOTH),
    (
        "timestamp offset out of range",
        ("ST-VAL-120",),
        lambda: st(timestamp="2013-05-18T05:32:34Z+25:00"),
        BOTH,
    ),
    ("scaled score a string", ("ST-VAL-003", "ST-VAL-093"), res(score={"scaled": "0.5"}), BOTH),
    ("empty extension key", ("ST-VAL-170",), ctx(extensions={"": 1}), BOTH),
    (
        "verb display null language value",
        ("ST-VAL-002", "ST-VAL-150"),
        lambda: st(verb={"id": verb()["id"], "display": {"en-US": None}}),
        BOTH,
    ),
    ("result an array", ("ST-VAL-003", "ST-VAL-090"), lambda: st(result=[{"success": True}]), BOTH),
    (
        "context registration uppercase hex braces",
        ("ST-VAL-101",),
        ctx(registration="{" + uid().upper() + "}"),
        BOTH,
    ),
    # authority and version (ST-VAL-130..132)
    ("authority is an Activity", ("ST-VAL-130",), lambda: st(authority=activity()), BOTH),
    ("version 2.0.0 under 1.0.3", ("ST-VAL-131",), lambda: st(version="2.0.0"), (V1,)),
    ("version not semver", ("ST-VAL-132", "ST-VAL-131"), lambda: st(version="abc"), (V1,)),
    ("version a number", ("ST-VAL-132", "ST-VAL-003"), lambda: st(version=1.0), BOTH),
    # attachments (ST-VAL-135..138)
    (
        "attachments not an array",
        ("ST-VAL-135",),
        lambda: st(attachments={"usageType": "http://example.com"}),
        BOTH,
    ),
    ("attachment without usageType", ("ST-VAL-136",), att(usageType=None), BOTH),
    ("attachment without display", ("ST-VAL-136",), att(display=None), BOTH),
    ("attachment without contentType", ("ST-VAL-136",), att(contentType=None), BOTH),
    ("attachment without length", ("ST-VAL-136",), att(length=None), BOTH),
    ("attachment with extra property", ("ST-VAL-136",), att(name="x"), BOTH),
    ("attachment usageType relative", ("ST-VAL-136", "ST-VAL-160"), att(usageType="usage"), BOTH),
    ("attachment fileUrl not an IRL", ("ST-VAL-136", "ST-VAL-160"), att(fileUrl="file name"), BOTH),
    ("attachment fileUrl without sha2", ("ST-VAL-137",), att(sha2=None), BOTH),
    ("attachment length a string", ("ST-VAL-138",), att(length="27"), BOTH),
    ("attachment length fractional", ("ST-VAL-138",), att(length=12.5), BOTH),
    ("attachment sha2 not hex", ("ST-VAL-138",), att(sha2="not-a-hash"), BOTH),
    # durations (ST-VAL-140..142)
    ("duration without designators", ("ST-VAL-140",), dur("PT1H30"), BOTH),
    ("duration without P", ("ST-VAL-140",), dur("T1H"), BOTH),
    ("duration alternative format", ("ST-VAL-141",), dur("P0003-01-29T04:35:59"), BOTH),
    ("duration weeks with days", ("ST-VAL-142",), dur("P4W1D"), BOTH),
    # language maps (ST-VAL-150..151)
    ("language map value a number", ("ST-VAL-150",), defn(name={"en-US": 1}), BOTH),
    (
        "language tag with bad subtag lengths",
        ("ST-VAL-151",),
        defn(description={"abcdefghi-US": "x"}),
        BOTH,
    ),
    ("language tag empty", ("ST-VAL-151", "ST-VAL-004"), defn(name={"": "x"}), BOTH),
    # extensions (ST-VAL-170..172)
    ("extension key not an IRI", ("ST-VAL-170",), res(extensions={"score": 1}), BOTH),
    (
        "extensions at statement level",
        ("ST-VAL-172", "ST-VAL-007"),
        lambda: st(extensions={"http://example.com/x": 1}),
        BOTH,
    ),
    (
        "extensions on a verb",
        ("ST-VAL-172", "ST-VAL-052"),
        lambda: st(verb={**verb(), "extensions": {}}),
        BOTH,
    ),
    (
        "extensions on an agent",
        ("ST-VAL-172", "ST-VAL-036"),
        lambda: st(actor=agent(extensions={})),
        BOTH,
    ),
]
