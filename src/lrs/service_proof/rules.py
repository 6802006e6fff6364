"""Service-proof rules as data: what opens a case and what must follow, by when.

A rule body (JSON)::

    {"name": "...", "description": "...",
     "trigger": {"verb": IRI, "activity_type": SERVICE_CASE, "activity_id_prefix": "..."},
     "obligations": [
       {"id": "first-contact", "verb": IRI, "within": {"hours": 24, "clock": "business"},
        "tiers": {"vip": {"hours": 4}}, "if": {"priority": ["vip"]}},
       {"id": "update", "verb": IRI, "every": {"hours": 48, "clock": "calendar"},
        "until": [IRI, ...]}]}

`within` is a one-off deadline counted from the trigger; `every` a recurring one counted
from the previous meeting statement, ending with the first `until` verb. `tiers` replaces the
span for the case's priority; `if` keeps the obligation to cases of the listed priorities.
Errors name the JSON path of the bad field.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrs.fields import fail, json_object, text_field
from lrs.xapi.primitives import is_iri

SERVICE_CASE = "https://w3id.org/xapi/retail/activities/service-case"
VERB_PREFIX = "https://w3id.org/xapi/retail/verbs/"
VERBS = tuple(
    VERB_PREFIX + v for v in ("opened", "contacted", "updated", "escalated", "confirmed", "closed")
)
PRIORITY_IRI = "https://w3id.org/xapi/retail/extensions/priority"
PRIORITIES = ("vip", "time-sensitive", "standard")
DEFAULT_PRIORITY = "standard"
CLOCKS = ("business", "calendar")
MAX_OBLIGATIONS = 32
MAX_HOURS = 24 * 366

_RULE_FIELDS = ("id", "name", "description", "trigger", "obligations")
_TRIGGER_FIELDS = ("verb", "activity_type", "activity_id_prefix")
_OBLIGATION_FIELDS = ("id", "description", "verb", "within", "every", "until", "tiers", "if")
_SPAN_FIELDS = ("hours", "clock")


@dataclass(frozen=True)
class Span:
    hours: float
    clock: str = "business"


@dataclass(frozen=True)
class Obligation:
    id: str
    verb: str
    span: Span
    recurring: bool = False
    tiers: tuple[tuple[str, Span], ...] = ()
    only_for: frozenset[str] | None = None
    until: tuple[str, ...] = ()
    description: str | None = None

    def span_for(self, priority: str) -> Span:
        return dict(self.tiers).get(priority, self.span)

    def applies_to(self, priority: str) -> bool:
        return self.only_for is None or priority in self.only_for


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    trigger_verb: str
    obligations: tuple[Obligation, ...]
    activity_id_prefix: str | None = None
    description: str | None = None


def _iri(value: object, path: str) -> str:
    if not isinstance(value, str) or not is_iri(value):
        fail(f"must be an IRI such as {VERB_PREFIX}contacted, not {value!r}", path)
    return value


def _span(value: object, path: str) -> Span:
    obj = json_object(value, path, _SPAN_FIELDS)
    hours = obj.get("hours")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_HOURS:
        fail(f"hours must be a number above 0 and at most {MAX_HOURS}", f"{path}.hours")
    clock = obj.get("clock", "business")
    if clock not in CLOCKS:
        fail(f"clock must be one of {', '.join(CLOCKS)}, not {clock!r}", f"{path}.clock")
    return Span(float(hours), clock)


def _priorities(value: object, path: str) -> list[str]:
    if not isinstance(value, list) or not value:
        fail(f"must be a non-empty array of {', '.join(PRIORITIES)}", path)
    for index, item in enumerate(value):
        if item not in PRIORITIES:
            fail(f"priority must be one of {', '.join(PRIORITIES)}", f"{path}[{index}]")
    return list(value)


def _tiers(value: object, path: str) -> tuple[tuple[str, Span], ...]:
    obj = json_object(value, path, PRIORITIES)
    return tuple((key, _span(obj[key], f"{path}.{key}")) for key in PRIORITIES if key in obj)


def _until(value: object, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_iri(value, path),)
    if not isinstance(value, list) or not value:
        fail("must be a verb IRI or a non-empty array of them", path)
    return tuple(_iri(v, f"{path}[{i}]") for i, v in enumerate(value))


def parse_obligation(value: object, path: str) -> Obligation:
    obj = json_object(value, path, _OBLIGATION_FIELDS)
    ident = text_field(obj, "id", path, required=True) or ""
    if "within" in obj and "every" in obj:
        fail("give either within (once) or every (recurring), not both", f"{path}.every")
    if "within" not in obj and "every" not in obj:
        fail("within (once) or every (recurring) is required", f"{path}.within")
    recurring = "every" in obj
    if "until" in obj and not recurring:
        fail("until only applies to a recurring obligation (every)", f"{path}.until")
    only_for = None
    if "if" in obj:
        condition = json_object(obj["if"], f"{path}.if", ("priority",))
        if "priority" not in condition:
            fail("priority is required", f"{path}.if.priority")
        only_for = frozenset(_priorities(condition["priority"], f"{path}.if.priority"))
    key = "every" if recurring else "within"
    return Obligation(
        id=ident,
        verb=_iri(obj.get("verb"), f"{path}.verb"),
        span=_span(obj[key], f"{path}.{key}"),
        recurring=recurring,
        tiers=_tiers(obj["tiers"], f"{path}.tiers") if "tiers" in obj else (),
        only_for=only_for,
        until=_until(obj["until"], f"{path}.until") if "until" in obj else (),
        description=text_field(obj, "description", path, required=False),
    )


def parse_rule(value: object, rule_id: str, path: str = "$") -> Rule:
    """A rule body as uploaded to ``PUT /rules/{rule_id}``."""
    obj = json_object(value, path, _RULE_FIELDS)
    if "id" in obj and obj["id"] != rule_id:
        fail(f"the body id {obj['id']!r} differs from the rule id {rule_id!r}", f"{path}.id")
    trigger = json_object(obj.get("trigger"), f"{path}.trigger", _TRIGGER_FIELDS)
    activity_type = trigger.get("activity_type", SERVICE_CASE)
    if activity_type != SERVICE_CASE:
        fail(f"activity_type must be {SERVICE_CASE}", f"{path}.trigger.activity_type")
    raw = obj.get("obligations")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_OBLIGATIONS:
        fail(f"obligations must be an array of 1 to {MAX_OBLIGATIONS}", f"{path}.obligations")
    obligations = tuple(parse_obligation(o, f"{path}.obligations[{i}]") for i, o in enumerate(raw))
    seen: set[str] = set()
    for index, obligation in enumerate(obligations):
        if obligation.id in seen:
            fail(
                f"obligation id {obligation.id!r} is used twice", f"{path}.obligations[{index}].id"
            )
        seen.add(obligation.id)
    return Rule(
        id=rule_id,
        name=text_field(obj, "name", path, required=True) or "",
        trigger_verb=_iri(trigger.get("verb"), f"{path}.trigger.verb"),
        obligations=obligations,
        activity_id_prefix=text_field(
            trigger, "activity_id_prefix", f"{path}.trigger", required=False
        ),
        description=text_field(obj, "description", path, required=False),
    )
