"""Service proof measurements: ingest with the protocol rule active vs without, and the
weekly review over many doors and cases.

    python -m bench.service_proof ingest --url http://127.0.0.1:8000 --rounds 6
    python -m bench.service_proof review --url http://127.0.0.1:8000 --doors 200 --cases 50000

`ingest` alternates rounds of the same statements (same size and shape): service-case
statements with the rule loaded (the ingest hook indexes every one), and the same statements
with another activity type and no rule (the hook passes them by). `review` loads doors, the
rule and `--cases` cases of four statements each in one ISO week, then times the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

V = "https://w3id.org/xapi/retail/verbs/"
SERVICE_CASE = "https://w3id.org/xapi/retail/activities/service-case"
PRIORITY = "https://w3id.org/xapi/retail/extensions/priority"
DOOR = "https://w3id.org/xapi/retail/extensions/door"
ROLE = "https://w3id.org/xapi/retail/extensions/role"
SP = "/xAPI/extensions/service-proof"
RULE = Path(__file__).parents[1] / "examples" / "rules" / "delivery-delay.json"
# Case statements: verb, hours after opening.
STEPS = (("opened", 0.0), ("contacted", 3.0), ("updated", 30.0), ("confirmed", 50.0))
WEEK = "2026-W10"
MONDAY = 1772409600  # 2026-03-02T00:00:00Z


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + "Z"


def statement(
    verb: str, at: float, case: str, door: str, activity_type: str = SERVICE_CASE
) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:advisor-{door.lower()}@boutique.example.com"},
        "verb": {"id": V + verb},
        "object": {
            "id": "https://boutique.example.com/cases/delivery-delay/" + case[:8],
            "definition": {"type": activity_type},
        },
        "context": {
            "registration": case,
            "extensions": {
                PRIORITY: "vip" if case[0] in "01" else "standard",
                DOOR: door,
                ROLE: "advisor",
            },
        },
        "timestamp": _iso(at),
    }


def cases(count: int, doors: int, activity_type: str = SERVICE_CASE) -> list[dict[str, Any]]:
    out = []
    for n in range(count):
        case = str(uuid.uuid4())
        door = f"D{n % doors:03d}"
        opened = MONDAY + (n * 7 * 86400 // max(count, 1)) % (6 * 86400)
        out += [statement(v, opened + h * 3600, case, door, activity_type) for v, h in STEPS]
    return out


def client(args: argparse.Namespace) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=args.url,
        auth=(args.key, args.secret),
        headers={"X-Experience-API-Version": "2.0.0"},
        timeout=httpx.Timeout(600.0),
        limits=httpx.Limits(max_connections=args.concurrency),
    )


async def setup(http: httpx.AsyncClient, doors: int) -> None:
    body = [
        {
            "id": f"D{n:03d}",
            "name": f"Door {n}",
            "timezone": "Europe/Paris",
            "opening_hours": "mon-sat 10:00-19:00",
            "holidays_country": "FR",
        }
        for n in range(doors)
    ]
    (await http.post("/xAPI/extensions/doors", json=body)).raise_for_status()
    (await http.put("/xAPI/extensions/roles/advisor", json={"name": "Advisor"})).raise_for_status()


async def send(
    http: httpx.AsyncClient, items: list[dict[str, Any]], batch: int, conc: int
) -> float:
    """Statements per second for posting `items` in batches, `conc` requests at a time."""
    chunks = [items[i : i + batch] for i in range(0, len(items), batch)]
    queue = iter(chunks)

    async def worker() -> None:
        for chunk in queue:
            (await http.post("/xAPI/statements", json=chunk)).raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return len(items) / (time.perf_counter() - start)


async def ingest(args: argparse.Namespace) -> dict[str, Any]:
    async with client(args) as http:
        await setup(http, 20)
        rule = json.loads(RULE.read_text())
        with_rule: list[float] = []
        without: list[float] = []
        for _ in range(args.rounds):
            (await http.put(f"{SP}/rules/delivery-delay", json=rule)).raise_for_status()
            with_rule.append(
                await send(http, cases(args.count // 4, 20), args.batch, args.concurrency)
            )
            (await http.delete(f"{SP}/rules/delivery-delay")).raise_for_status()
            plain = cases(args.count // 4, 20, "http://example.com/activities/other")
            without.append(await send(http, plain, args.batch, args.concurrency))
        a, b = statistics.median(with_rule), statistics.median(without)
        return {
            "with_rule_per_s": round(a),
            "without_per_s": round(b),
            "ratio": round(a / b, 3),
            "rounds": args.rounds,
            "statements_per_round": args.count,
            "batch": args.batch,
        }


async def review(args: argparse.Namespace) -> dict[str, Any]:
    async with client(args) as http:
        await setup(http, args.doors)
        rule = json.loads(RULE.read_text())
        (await http.put(f"{SP}/rules/delivery-delay", json=rule)).raise_for_status()
        if not args.skip_load:
            rate = await send(http, cases(args.cases, args.doors), args.batch, args.concurrency)
        else:
            rate = 0.0
        timings: dict[str, list[float]] = {"json": [], "csv": [], "html": []}
        sizes: dict[str, int] = {}
        for _ in range(args.rounds):
            for fmt in timings:
                start = time.perf_counter()
                response = await http.get(f"{SP}/report", params={"week": WEEK, "format": fmt})
                response.raise_for_status()
                timings[fmt].append(time.perf_counter() - start)
                sizes[fmt] = len(response.content)
        start = time.perf_counter()
        one = await http.get(f"{SP}/report", params={"week": WEEK, "door": "D007"})
        one.raise_for_status()
        one_door = time.perf_counter() - start
        doors = one.json()["doors"]
        return {
            "doors": args.doors,
            "cases": args.cases,
            "statements": args.cases * len(STEPS),
            "load_per_s": round(rate),
            **{f"{k}_median_s": round(statistics.median(v), 2) for k, v in timings.items()},
            **{f"{k}_bytes": v for k, v in sizes.items()},
            "one_door_s": round(one_door, 2),
            "one_door_cases": doors[0]["cases"] if doors else 0,
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.service_proof")
    parser.add_argument("mode", choices=("ingest", "review"))
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", default="dev")
    parser.add_argument("--secret", default="dev-secret")
    parser.add_argument("--count", type=int, default=8000, help="statements per ingest round")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--doors", type=int, default=200)
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--skip-load", action="store_true", help="review: data already loaded")
    args = parser.parse_args()
    run = ingest if args.mode == "ingest" else review
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
