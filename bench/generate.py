"""Deterministic retail-training xAPI statements from a seed.

The same seed and index always give the same statement (same id included), so an ingest run,
the database baseline and a later query run all talk about the same data. The shape mimics a
retail chain training its staff: hundreds of learners (by mbox and by account), a dozen ADL
verbs, courses made of modules made of lessons, registrations per learner and course, the
store door and the learner's role as context extensions.

Two shapes (``--shape``):

- ``realistic`` (the default): what authoring tools send. The object is an interaction
  Activity with its full definition (name, description, ``interactionType`` choice, choices,
  correct response), ``contextActivities`` parent / grouping / category each with a
  definition, a registration, the door and role extensions under the IRIs ``lrs serve``
  reads by default, platform, language, and a result on a third (about 1.9 KB of JSON).
- ``simple``: the earlier shape (a lesson with name and type, parent and grouping, the
  extensions under ``lrs.example`` IRIs, a result on half; about 1.2 KB).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = (
    "launched",
    "initialized",
    "attempted",
    "experienced",
    "progressed",
    "answered",
    "completed",
    "passed",
    "failed",
    "scored",
    "suspended",
    "terminated",
)
COURSES = (
    "checkout-basics",
    "food-safety",
    "customer-care",
    "stock-rotation",
    "loss-prevention",
    "fire-and-evacuation",
)
MODULES_PER_COURSE = 4
LESSONS_PER_MODULE = 3
BASE = "https://training.retail.example/xapi"
DOOR_EXTENSION = "https://lrs.example/xapi/extensions/door"
ROLE_EXTENSION = "https://lrs.example/xapi/extensions/role"
DOORS = tuple(f"store-{n:03d}" for n in range(1, 41))
ROLES = ("cashier", "stocker", "supervisor", "store-manager", "pharmacist", "baker")
# The IRIs `lrs serve` reads doors and roles from by default (LRS_DOOR_EXTENSION and
# LRS_ROLE_EXTENSION).
SERVED_DOOR_EXTENSION = "https://w3id.org/xapi/retail/extensions/door"
SERVED_ROLE_EXTENSION = "https://w3id.org/xapi/retail/extensions/role"
CATEGORY = "https://w3id.org/xapi/retail/profile"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
SHAPES = ("realistic", "simple")
START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "module": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
}


@dataclass(frozen=True)
class Population:
    """The fixed cast a seed picks from: learners, activities, registrations."""

    actors: tuple[dict[str, Any], ...]
    lessons: tuple[tuple[str, str, str], ...]
    registrations: tuple[str, ...]

    @property
    def activity_ids(self) -> tuple[str, ...]:
        ids = {part for lesson in self.lessons for part in lesson}
        return tuple(sorted(ids))


def _actor(index: int) -> dict[str, Any]:
    name = f"Learner {index:04d}"
    if index % 3 == 0:
        return {
            "objectType": "Agent",
            "name": name,
            "account": {"homePage": "https://hr.retail.example", "name": f"emp-{index:05d}"},
        }
    return {
        "objectType": "Agent",
        "name": name,
        "mbox": f"mailto:learner{index:04d}@retail.example",
    }


def population(seed: int, *, actors: int = 400, registrations: int = 2000) -> Population:
    """The learners, lessons (course, module, lesson ids) and registrations of a seed."""
    rng = random.Random(f"population-{seed}")
    cast = tuple(_actor(i) for i in range(actors))
    lessons = tuple(
        (
            f"{BASE}/course/{course}",
            f"{BASE}/course/{course}/module/{m}",
            f"{BASE}/course/{course}/module/{m}/lesson/{n}",
        )
        for course in COURSES
        for m in range(1, MODULES_PER_COURSE + 1)
        for n in range(1, LESSONS_PER_MODULE + 1)
    )
    regs = tuple(str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(registrations))
    return Population(cast, lessons, regs)


def _activity(activity_id: str, kind: str) -> dict[str, Any]:
    parts = activity_id.rsplit("/", 2)
    title = parts[-1].replace("-", " ") if kind == "course" else f"{parts[-2]} {parts[-1]}"
    return {
        "objectType": "Activity",
        "id": activity_id,
        "definition": {"type": ACTIVITY_TYPES[kind], "name": {"en-US": title}},
    }


def _result(rng: random.Random, verb: str) -> dict[str, Any]:
    scaled = round(rng.random(), 2)
    result: dict[str, Any] = {
        "score": {"scaled": scaled, "raw": round(scaled * 100), "min": 0, "max": 100},
        "duration": f"PT{rng.randint(30, 3600)}S",
    }
    if verb in ("completed", "passed", "failed"):
        result["completion"] = True
        result["success"] = verb != "failed"
    return result


def _described(activity_id: str, kind: str) -> dict[str, Any]:
    activity = _activity(activity_id, kind)
    title = activity["definition"]["name"]["en-US"]
    activity["definition"]["description"] = {"en-US": f"The {kind} {title} of the retail course"}
    return activity


def _interaction(lesson: str) -> dict[str, Any]:
    """The lesson's check question: a choice interaction with its full definition."""
    choices = [
        {"id": f"option-{c}", "description": {"en-US": f"Option {c} of the check question"}}
        for c in "abcd"
    ]
    title = " ".join(lesson.rsplit("/", 4)[-4:])
    return {
        "objectType": "Activity",
        "id": lesson,
        "definition": {
            "type": INTERACTION,
            "name": {"en-US": f"Check question: {title}"},
            "description": {"en-US": f"Which practice does {title} teach?"},
            "interactionType": "choice",
            "correctResponsesPattern": ["option-b"],
            "choices": choices,
        },
    }


def _realistic(body: dict[str, Any], rng: random.Random, module: str, course: str) -> None:
    """Turn a simple statement into the realistic shape (see the module docstring)."""
    context = body["context"]
    body["object"] = _interaction(body["object"]["id"])
    context["contextActivities"] = {
        "parent": [_described(module, "module")],
        "grouping": [_described(course, "course")],
        "category": [
            {
                "objectType": "Activity",
                "id": CATEGORY,
                "definition": {
                    "type": "http://adlnet.gov/expapi/activities/profile",
                    "name": {"en-US": "Retail training profile"},
                    "description": {"en-US": "Statements of the retail training programme"},
                },
            }
        ],
    }
    extensions = context["extensions"]
    context["extensions"] = {
        SERVED_DOOR_EXTENSION: extensions[DOOR_EXTENSION],
        SERVED_ROLE_EXTENSION: extensions[ROLE_EXTENSION],
    }
    body.pop("result", None)
    if rng.random() < 1 / 3:
        verb = body["verb"]["id"].removeprefix(ADL)
        body["result"] = _result(rng, verb)
        body["result"]["response"] = "option-" + "abcd"[rng.randrange(4)]


def statement(seed: int, index: int, pop: Population, shape: str = "realistic") -> dict[str, Any]:
    """Statement number `index` of the stream of `seed` (pure: same inputs, same statement)."""
    rng = random.Random(f"{seed}-{index}")
    statement_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    actor_index = rng.randrange(len(pop.actors))
    lesson_index = rng.randrange(len(pop.lessons))
    course, module, lesson = pop.lessons[lesson_index]
    course_index = lesson_index // (MODULES_PER_COURSE * LESSONS_PER_MODULE)
    verb = VERBS[rng.randrange(len(VERBS))]
    # One registration per learner and course: a learner's attempts at a course share it.
    registration = pop.registrations[
        (actor_index * len(COURSES) + course_index) % len(pop.registrations)
    ]
    moment = START + timedelta(seconds=index * 3, milliseconds=rng.randrange(1000))
    body: dict[str, Any] = {
        "id": statement_id,
        "actor": pop.actors[actor_index],
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": _activity(lesson, "lesson"),
        "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "context": {
            "registration": registration,
            "platform": "retail-lms",
            "language": "en-US",
            "contextActivities": {
                "parent": [_activity(module, "module")],
                "grouping": [_activity(course, "course")],
            },
            "extensions": {
                DOOR_EXTENSION: DOORS[actor_index % len(DOORS)],
                ROLE_EXTENSION: ROLES[actor_index % len(ROLES)],
            },
        },
    }
    if rng.random() < 0.5:
        body["result"] = _result(rng, verb)
    if shape == "realistic":
        _realistic(body, rng, module, course)
    return body


def statements(
    seed: int, count: int, *, start: int = 0, shape: str = "realistic"
) -> Iterator[dict[str, Any]]:
    """`count` statements of the seed's stream, from index `start`."""
    pop = population(seed)
    for index in range(start, start + count):
        yield statement(seed, index, pop, shape)


def batches(
    seed: int, count: int, size: int, *, start: int = 0, shape: str = "realistic"
) -> Iterator[list[dict[str, Any]]]:
    """The same stream cut into lists of at most `size`."""
    batch: list[dict[str, Any]] = []
    for item in statements(seed, count, start=start, shape=shape):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
