"""Rule bodies: the shipped examples parse; every refusal names the bad field's path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.service_proof.rules import Span, parse_rule

EXAMPLES = Path(__file__).parents[3] / "examples" / "rules"
V = "https://w3id.org/xapi/retail/verbs/"


def example(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return body


def test_delivery_delay_example() -> None:
    rule = parse_rule(example("delivery-delay.json"), "delivery-delay")
    first, update, vip = rule.obligations
    assert rule.trigger_verb == V + "opened"
    assert first.span_for("vip") == Span(4, "business")
    assert first.span_for("time-sensitive") == Span(4, "business")
    assert first.span_for("standard") == Span(24, "business")
    assert update.recurring
    assert update.until == (V + "confirmed", V + "closed")
    assert update.span == Span(48, "calendar")
    assert vip.applies_to("vip")
    assert not vip.applies_to("standard")


def test_second_example() -> None:
    rule = parse_rule(example("repair-return.json"), "repair")
    assert [o.id for o in rule.obligations] == ["acknowledge", "return-date", "closed"]


def _broken(change: Any) -> dict[str, Any]:
    body = copy.deepcopy(example("delivery-delay.json"))
    change(body)
    return body


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda b: b.pop("name"), "$.name"),
        (lambda b: b.update(extra=1), "$.extra"),
        (lambda b: b["trigger"].update(activity_type="http://x/y"), "$.trigger.activity_type"),
        (lambda b: b["trigger"].update(verb="opened"), "$.trigger.verb"),
        (lambda b: b.update(obligations=[]), "$.obligations"),
        (lambda b: b["obligations"][0]["within"].update(hours=0), "$.obligations[0].within.hours"),
        (
            lambda b: b["obligations"][0]["within"].update(hours="4"),
            "$.obligations[0].within.hours",
        ),
        (
            lambda b: b["obligations"][0]["within"].update(clock="x"),
            "$.obligations[0].within.clock",
        ),
        (
            lambda b: b["obligations"][0]["tiers"].update(gold={"hours": 1}),
            "$.obligations[0].tiers.gold",
        ),
        (lambda b: b["obligations"][1].update(within={"hours": 1}), "$.obligations[1].every"),
        (lambda b: b["obligations"][1]["until"].append("nope"), "$.obligations[1].until[2]"),
        (lambda b: b["obligations"][0].update(until=V + "closed"), "$.obligations[0].until"),
        (
            lambda b: b["obligations"][2]["if"].update(priority=["gold"]),
            "$.obligations[2].if.priority[0]",
        ),
        (lambda b: b["obligations"][2].pop("within"), "$.obligations[2].within"),
        (lambda b: b["obligations"][2].update(id="update"), "$.obligations[2].id"),
        (lambda b: b.update(id="other"), "$.id"),
    ],
)
def test_refusals_name_the_path(change: Any, path: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_rule(_broken(change), "delivery-delay")
    assert caught.value.path == path


def test_not_an_object() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_rule([], "x")
    assert caught.value.path == "$"
