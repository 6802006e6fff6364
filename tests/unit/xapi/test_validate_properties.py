"""Property tests: every statement the strategies build is valid, and breaking any one value
of it is refused with the JSON path of exactly that value (ST-VAL-002, 003, 007, 008)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrs.errors import BadRequest
from lrs.xapi.jsonparse import child_path, loads_strict
from lrs.xapi.validate import validate_statement
from lrs.xapi.versions import XapiVersion

Json = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]
Location = tuple[str | int, ...]

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERSIONS = st.sampled_from([XapiVersion.V1_0_3, XapiVersion.V2_0_0])

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_TEXT = st.text(max_size=12).filter(lambda s: "\x00" not in s)
# Integers the LRS stores: parsing refuses anything beyond 64 bits (lrs.xapi.jsonparse).
_STORABLE_INTS = st.integers(-(2**63), 2**64 - 1)
iris = st.builds(
    "{}://{}.example.com/{}".format, st.sampled_from(["http", "https"]), _WORD, _WORD
) | st.builds("urn:example:{}".format, _WORD)
irls = st.builds("https://{}.example.org/{}".format, _WORD, _WORD)
uuids = st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())
tags = st.sampled_from(["en", "en-US", "fr-CA", "zh-Hant-TW", "es-419", "x-klingon", "de-CH-1901"])
language_maps = st.dictionaries(tags, _TEXT, max_size=3)
extensions = st.dictionaries(
    iris, st.recursive(st.none() | st.booleans() | _STORABLE_INTS | _TEXT, st.lists), max_size=2
)
timestamps = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(1970, 2100),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["", ".1", ".123", ".123456789"]),
    st.sampled_from(["Z", "+00:00", "-05:30", "+0200", "+01", ""]),
)
durations = st.sampled_from(["PT1H", "P1Y2M3DT4H5M6.5S", "P3W", "PT0.01S", "P1D", "PT90M"])


@st.composite
def agents(draw: Draw, *, object_type: bool | None = None) -> Json:
    agent: Json = {}
    if object_type if object_type is not None else draw(st.booleans()):
        agent["objectType"] = "Agent"
    if draw(st.booleans()):
        agent["name"] = draw(_TEXT)
    ifi = draw(st.sampled_from(["mbox", "mbox_sha1sum", "openid", "account"]))
    who = draw(_WORD)
    if ifi == "mbox":
        agent["mbox"] = f"mailto:{who}@example.com"
    elif ifi == "mbox_sha1sum":
        agent["mbox_sha1sum"] = hashlib.sha1(who.encode()).hexdigest()
    elif ifi == "openid":
        agent["openid"] = f"https://openid.example.com/{who}"
    else:
        agent["account"] = {"homePage": draw(irls), "name": who}
    return agent


@st.composite
def groups(draw: Draw, *, members: int | None = None) -> Json:
    """An Identified or Anonymous Group; ``members`` forces an Anonymous one of that size."""
    group: Json = {"objectType": "Group"}
    if members is None and draw(st.booleans()):
        identifier = draw(agents(object_type=False))
        identifier.pop("name", None)
        group.update(identifier)
        if draw(st.booleans()):
            group["member"] = draw(st.lists(agents(), max_size=2))
    else:
        size = members if members is not None else draw(st.integers(0, 3))
        group["member"] = [draw(agents()) for _ in range(size)]
    return group


@st.composite
def definitions(draw: Draw) -> Json:
    definition: Json = {}
    if draw(st.booleans()):
        definition["name"] = draw(language_maps)
    if draw(st.booleans()):
        definition["description"] = draw(language_maps)
    if draw(st.booleans()):
        definition["type"] = draw(iris)
    if draw(st.booleans()):
        definition["moreInfo"] = draw(irls)
    if draw(st.booleans()):
        definition["extensions"] = draw(extensions)
    kind = draw(st.sampled_from([None, "choice", "likert", "matching", "performance", "numeric"]))
    if kind is not None:
        definition["interactionType"] = kind
        definition["correctResponsesPattern"] = draw(st.lists(_TEXT, max_size=2))
        lists = {
            "choice": ["choices"],
            "likert": ["scale"],
            "matching": ["source", "target"],
            "performance": ["steps"],
        }.get(kind, [])
        for key in lists:
            ids = draw(st.lists(_WORD, unique=True, max_size=3))
            definition[key] = [
                {"id": i, "description": draw(language_maps)} if draw(st.booleans()) else {"id": i}
                for i in ids
            ]
    return definition


@st.composite
def activities(draw: Draw) -> Json:
    activity: Json = {"id": draw(iris)}
    if draw(st.booleans()):
        activity["objectType"] = "Activity"
    if draw(st.booleans()):
        activity["definition"] = draw(definitions())
    return activity


def statement_refs() -> st.SearchStrategy[Json]:
    return st.builds(lambda i: {"objectType": "StatementRef", "id": i}, uuids)


@st.composite
def results(draw: Draw) -> Json:
    result: Json = {}
    if draw(st.booleans()):
        low = draw(st.integers(-100, 100))
        high = low + draw(st.integers(1, 100))
        score: Json = {"scaled": draw(st.floats(-1, 1))}
        if draw(st.booleans()):
            score.update(min=low, max=high, raw=draw(st.integers(low, high)))
        result["score"] = score
    for key in ("success", "completion"):
        if draw(st.booleans()):
            result[key] = draw(st.booleans())
    if draw(st.booleans()):
        result["response"] = draw(_TEXT)
    if draw(st.booleans()):
        result["duration"] = draw(durations)
    if draw(st.booleans()):
        result["extensions"] = draw(extensions)
    return result


@st.composite
def contexts(draw: Draw, version: XapiVersion, object_is_activity: bool) -> Json:
    context: Json = {}
    if draw(st.booleans()):
        context["registration"] = draw(uuids)
    if draw(st.booleans()):
        context["instructor"] = draw(agents() | groups())
    if draw(st.booleans()):
        context["team"] = draw(groups())
    if draw(st.booleans()):
        context["contextActivities"] = draw(
            st.dictionaries(
                st.sampled_from(["parent", "grouping", "category", "other"]),
                activities() | st.lists(activities(), max_size=2),
                max_size=4,
            )
        )
    if object_is_activity:  # ST-VAL-106, REF-004: both versions
        for key in ("revision", "platform"):
            if draw(st.booleans()):
                context[key] = draw(_TEXT)
    if draw(st.booleans()):
        context["language"] = draw(tags)
    if draw(st.booleans()):
        context["statement"] = draw(statement_refs())
    if draw(st.booleans()):
        context["extensions"] = draw(extensions)
    if version is XapiVersion.V2_0_0 and draw(st.booleans()):
        entry: Json = {"objectType": "contextAgent", "agent": draw(agents())}
        if draw(st.booleans()):
            entry["relevantTypes"] = draw(st.lists(iris, min_size=1, max_size=2))
        context["contextAgents"] = [entry]
        context["contextGroups"] = [{"objectType": "contextGroup", "group": draw(groups())}]
    return context


@st.composite
def attachments(draw: Draw) -> Json:
    payload = draw(st.binary(max_size=8))
    attachment: Json = {
        "usageType": draw(iris),
        "display": draw(language_maps),
        "contentType": draw(st.sampled_from(["text/plain", "application/json; charset=utf-8"])),
        "length": len(payload),
        "sha2": hashlib.sha256(payload).hexdigest(),
    }
    if draw(st.booleans()):
        attachment["fileUrl"] = draw(irls)
    if draw(st.booleans()):
        attachment["description"] = draw(language_maps)
    return attachment


@st.composite
def statement_bodies(draw: Draw, version: XapiVersion, *, nested: bool) -> Json:
    """The parts a Statement and a SubStatement share."""
    simple = [activities(), agents(object_type=True), groups(), statement_refs()]
    choices = simple if nested else [*simple, substatements(version)]
    target = draw(st.one_of(choices))
    stmt: Json = {
        "actor": draw(agents() | groups()),
        "verb": {"id": draw(iris)},
        "object": target,
    }
    if draw(st.booleans()):
        stmt["verb"]["display"] = draw(language_maps)
    if draw(st.booleans()):
        stmt["result"] = draw(results())
    if draw(st.booleans()):
        is_activity = target.get("objectType", "Activity") == "Activity"
        stmt["context"] = draw(contexts(version, is_activity))
    if draw(st.booleans()):
        stmt["timestamp"] = draw(timestamps)
    if draw(st.booleans()):
        stmt["attachments"] = draw(st.lists(attachments(), max_size=2))
    return stmt


@st.composite
def substatements(draw: Draw, version: XapiVersion) -> Json:
    return {"objectType": "SubStatement", **draw(statement_bodies(version, nested=True))}


@st.composite
def statements(draw: Draw, version: XapiVersion) -> Json:
    stmt: Json = draw(statement_bodies(version, nested=False))
    if draw(st.booleans()):
        stmt["id"] = draw(uuids)
    if draw(st.booleans()):
        stmt["stored"] = draw(timestamps)
    if draw(st.booleans()):
        # ST-VAL-130, REF-001: an Agent or an Anonymous Group of two, under both versions.
        stmt["authority"] = draw(agents() | groups(members=2))
    if draw(st.booleans()):
        prefixes = ["1.0."] if version.is_legacy else ["1.0.", "2.0."]
        stmt["version"] = draw(st.sampled_from(prefixes)) + str(draw(st.integers(0, 9)))
    return stmt


def versioned_statements() -> st.SearchStrategy[tuple[XapiVersion, Json]]:
    return VERSIONS.flatmap(lambda v: statements(v).map(lambda s: (v, s)))


def _locations(node: Any, loc: Location = ()) -> Iterator[tuple[Location, Any]]:
    """Every value outside extension values, with its location (ST-VAL-171 exempts those)."""
    yield loc, node
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "extensions" and isinstance(value, dict):
                yield (*loc, key), value
            else:
                yield from _locations(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _locations(value, (*loc, index))


def _path(loc: Location) -> str:
    path = "$"
    for step in loc:
        path = f"{path}[{step}]" if isinstance(step, int) else child_path(path, step)
    return path


def _set(stmt: Json, loc: Location, value: Any) -> Json:
    mutated = copy.deepcopy(stmt)
    parent: Any = mutated
    for step in loc[:-1]:
        parent = parent[step]
    parent[loc[-1]] = value
    return mutated


def _assert_refused_at(stmt: Json, version: XapiVersion, path: str) -> None:
    with pytest.raises(BadRequest) as info:
        validate_statement(stmt, version)
    assert info.value.path == path, info.value.message


@SETTINGS
@given(versioned_statements())
def test_generated_statements_are_valid(case: tuple[XapiVersion, Json]) -> None:
    version, stmt = case
    validate_statement(stmt, version)
    # What the API receives is JSON text; the round trip must not change the verdict.
    validate_statement(loads_strict(json.dumps(stmt).encode()), version)


@SETTINGS
@given(versioned_statements(), st.data())
def test_st_val_002_null_anywhere_is_refused_at_its_path(
    case: tuple[XapiVersion, Json], data: st.DataObject
) -> None:
    version, stmt = case
    candidates = [loc for loc, _ in _locations(stmt) if loc]
    loc = data.draw(st.sampled_from(candidates))
    _assert_refused_at(_set(stmt, loc, None), version, _path(loc))


@SETTINGS
@given(versioned_statements(), st.data())
def test_st_val_008_unknown_property_is_refused_at_its_path(
    case: tuple[XapiVersion, Json], data: st.DataObject
) -> None:
    version, stmt = case
    candidates = [loc for loc, node in _locations(stmt) if isinstance(node, dict)]
    loc = data.draw(st.sampled_from(candidates))
    mutated = copy.deepcopy(stmt)
    target: Any = mutated
    for step in loc:
        target = target[step]
    target["zzUnknown"] = 1
    _assert_refused_at(mutated, version, child_path(_path(loc), "zzUnknown"))


@SETTINGS
@given(versioned_statements(), st.data())
def test_st_val_003_number_in_place_of_a_string_is_refused_at_its_path(
    case: tuple[XapiVersion, Json], data: st.DataObject
) -> None:
    version, stmt = case
    candidates = [loc for loc, node in _locations(stmt) if isinstance(node, str)]
    loc = data.draw(st.sampled_from(candidates))
    _assert_refused_at(_set(stmt, loc, 7), version, _path(loc))
