"""One-statement writes in one command (`lrs.services.group_write`, migration 0015): what
the full path writes, written the same; every group that needs more than inserts declined
to the full path, with nothing written by the declined command."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.services.group_commit import StatementWriter
from tests.api.ext_support import assignment, ext_db, roster, seed_registry, statement, tag_of
from tests.factories import make_activity, make_agent, make_statement, make_statement_ref

URL = "/xAPI/statements"
THROUGH = "X-Experience-API-Consistent-Through"
STORED_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
__all__ = ["ext_db"]


def _writer(app: FastAPI) -> StatementWriter:
    writer: StatementWriter = app.state.lrs.statement_writer
    return writer


def _fresh(**overrides: Any) -> dict[str, Any]:
    """A statement by a learner, with a verb, about an activity, that no other test uses."""
    tag = uuid.uuid4().hex[:10]
    fresh: dict[str, Any] = {
        "actor": make_agent(who=f"g{tag}", name=f"Learner {tag}"),
        "verb": {"id": f"http://example.com/verbs/{tag}", "display": {"en-US": "practised"}},
        "object": make_activity(f"http://example.com/activities/{tag}"),
    }
    return make_statement(**{**fresh, **overrides})


def _again(first: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Another statement by the same learner about the same activity."""
    return {**first, "id": str(uuid.uuid4()), **overrides}


async def _post(client: httpx.AsyncClient, body: dict[str, Any], status: int = 200) -> str:
    response = await client.post(URL, json=body)
    assert response.status_code == status, response.text
    return str(response.json()[0]) if status == 200 else ""


async def _get(client: httpx.AsyncClient, statement_id: str) -> dict[str, Any]:
    response = await client.get(URL, params={"statementId": statement_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _columns(app: FastAPI, statement_id: str) -> dict[str, Any]:
    async with app.state.lrs.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT stored, timestamp, "
                    "CAST(payload AS jsonb)->>'stored' AS payload_stored, "
                    "CAST(payload AS jsonb)->>'timestamp' AS payload_timestamp, "
                    "(SELECT count(*) FROM statement_terms t WHERE t.seq = s.seq) AS terms "
                    "FROM statements s WHERE id = CAST(:id AS uuid)"
                ),
                {"id": statement_id},
            )
        ).one()
    return dict(row._mapping)


async def test_a_known_learner_and_activity_take_one_command(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = _fresh()
    before = _writer(app).groups.copy()
    await _post(client, first)  # a new agent and activity: the full path records them
    assert _writer(app).groups["one_command"] == before["one_command"]
    second = _again(first)
    response = await client.post(URL, json=second)
    assert response.status_code == 200
    assert _writer(app).groups["one_command"] == before["one_command"] + 1

    stored = await _get(client, second["id"])
    assert STORED_FORM.fullmatch(stored["stored"])
    assert stored["timestamp"] == second["timestamp"]
    assert stored["actor"] == second["actor"]
    assert stored["object"] == second["object"]
    assert stored["authority"] == (await _get(client, first["id"]))["authority"]
    assert stored["version"] == "2.0.0"
    columns = await _columns(app, second["id"])
    assert columns["payload_stored"] == stored["stored"]
    assert datetime.fromisoformat(stored["stored"]) == columns["stored"]
    assert columns["terms"] == (await _columns(app, first["id"]))["terms"] > 0
    # ORD-008: the answer's Consistent-Through is no later than what it just stored.
    assert datetime.fromisoformat(response.headers[THROUGH]) <= columns["stored"]


async def test_a_statement_without_timestamp_gets_its_stored_time(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """ST-PROC-004, in the one command: the database's instant is both."""
    first = _fresh()
    await _post(client, first)
    second = _again(first)
    del second["timestamp"]
    before = _writer(app).groups["one_command"]
    await _post(client, second)
    assert _writer(app).groups["one_command"] == before + 1
    stored = await _get(client, second["id"])
    assert stored["timestamp"] == stored["stored"]
    columns = await _columns(app, second["id"])
    assert columns["timestamp"] == columns["stored"]
    assert columns["payload_timestamp"] == columns["payload_stored"]


async def test_found_by_every_filter_like_a_full_path_statement(
    client: httpx.AsyncClient,
) -> None:
    first = _fresh(context={"registration": str(uuid.uuid4())})
    await _post(client, first)
    second_id = await _post(client, _again(first))
    for params in (
        {"agent": first["actor"]},
        {"verb": first["verb"]["id"]},
        {"activity": first["object"]["id"]},
        {"registration": first["context"]["registration"]},
    ):
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        found = (await client.get(URL, params=query)).json()["statements"]
        assert {s["id"] for s in found} == {first["id"], second_id}, params


async def test_a_resend_is_accepted_and_a_changed_resend_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """ST-PROC-015 and STR-W-006 when the id is found stored by the one command: nothing is
    written for it either way."""
    first = _fresh()
    await _post(client, first)
    second = _again(first)
    await _post(client, second)
    before = _writer(app).groups["one_command"]
    await _post(client, second)
    await _post(client, {**second, "result": {"completion": True}}, status=409)
    assert _writer(app).groups["one_command"] == before + 2
    assert "result" not in await _get(client, second["id"])
    assert (await _columns(app, second["id"]))["terms"] == (await _columns(app, first["id"]))[
        "terms"
    ]


async def test_a_new_name_or_definition_goes_the_full_way(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """AGT-001 and ST-PROC-019/020: what the one command cannot record is recorded."""
    first = _fresh()
    await _post(client, first)
    renamed = _again(first, actor={**first["actor"], "name": "Another Name"})
    before = _writer(app).groups.copy()
    await _post(client, renamed)
    assert _writer(app).groups["one_command"] == before["one_command"]
    agent = json.dumps({"mbox": first["actor"]["mbox"]})
    people = (await client.get("/xAPI/agents", params={"agent": agent})).json()
    assert "Another Name" in people["name"]

    described = make_activity(first["object"]["id"], definition={"name": {"fr-FR": "Leçon"}})
    await _post(client, _again(first, object=described))
    assert _writer(app).groups["one_command"] == before["one_command"]
    activity = (await client.get("/xAPI/activities", params={"activityId": described["id"]})).json()
    assert activity["definition"]["name"]["fr-FR"] == "Leçon"
    # Now known as they are: the next takes one command again.
    await _post(client, _again(first, object=described))
    assert _writer(app).groups["one_command"] == before["one_command"] + 1


async def test_a_definition_changed_elsewhere_is_seen(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The function checks the definition's version it was based on: changed by another
    writer since this process read it, the group is declined and written the full way."""
    first = _fresh()
    await _post(client, first)
    await _post(client, _again(first))  # the definition is now known to this process
    async with app.state.lrs.engine.begin() as conn:
        await conn.execute(
            text("UPDATE activities SET definition = CAST(:d AS jsonb) WHERE activity_id = :id"),
            {"d": '{"name": {"de-DE": "Lektion"}}', "id": first["object"]["id"]},
        )
    before = _writer(app).groups["one_command"]
    await _post(client, _again(first))
    assert _writer(app).groups["one_command"] == before  # declined, then merged
    activity = (
        await client.get("/xAPI/activities", params={"activityId": first["object"]["id"]})
    ).json()
    assert activity["definition"]["name"]["de-DE"] == "Lektion"
    assert activity["definition"]["name"]["en-US"] == first["object"]["definition"]["name"]["en-US"]


async def test_a_statement_referred_to_before_it_arrives_goes_the_full_way(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """STR-Q-025 and ST-VOID-006 need the full path: a StatementRef stored first makes the
    function decline, and the late target is then voided and found through the ref."""
    first = _fresh()
    await _post(client, first)
    late = _again(first)
    voiding = _fresh(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        object=make_statement_ref(late["id"]),
    )
    await _post(client, voiding)
    before = _writer(app).groups["one_command"]
    await _post(client, late)
    assert _writer(app).groups["one_command"] == before
    gone = await client.get(URL, params={"statementId": late["id"]})
    assert gone.status_code == 404
    assert (await client.get(URL, params={"voidedStatementId": late["id"]})).status_code == 200


async def test_tags_and_roster_in_the_one_command(
    client: httpx.AsyncClient, app: FastAPI, ext_db: None
) -> None:
    await seed_registry(client)
    await roster(client, assignment("rosa", "NYC", "manager", "2024-01-01"))
    carried = statement("carla", door="PAR", role="advisor")
    rostered = statement("rosa")
    for body in (carried, rostered):
        await _post(client, body)
    before = _writer(app).groups["one_command"]
    carried_id = await _post(client, _again(carried))
    rostered_id = await _post(client, _again(rostered))
    assert _writer(app).groups["one_command"] == before + 2
    tag = await tag_of(client, carried_id)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("PAR", "advisor", "statement")
    tag = await tag_of(client, rostered_id)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("NYC", "manager", "roster")


async def test_the_outbox_in_the_one_command(client: httpx.AsyncClient, app: FastAPI) -> None:
    first = _fresh()
    await _post(client, first)
    async with app.state.lrs.engine.begin() as conn:
        target = (
            await conn.execute(
                text(
                    "INSERT INTO fwd_targets (id, name, type, url, filters, paused) VALUES "
                    "(CAST(:id AS uuid), 'group write', 'webhook', 'http://127.0.0.1:9/', "
                    "'{}', true) RETURNING id"
                ),
                {"id": str(uuid.uuid4())},
            )
        ).scalar_one()
    try:
        before = _writer(app).groups["one_command"]
        second_id = await _post(client, _again(first))
        assert _writer(app).groups["one_command"] == before + 1
        async with app.state.lrs.engine.connect() as conn:
            queued = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM fwd_queue q JOIN statements s ON s.seq = ANY(q.seqs) "
                        "WHERE q.target_id = CAST(:t AS uuid) AND s.id = CAST(:id AS uuid)"
                    ),
                    {"t": target, "id": second_id},
                )
            ).scalar_one()
        assert queued == 1
    finally:
        async with app.state.lrs.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM fwd_targets WHERE id = CAST(:t AS uuid)"), {"t": target}
            )


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
async def test_put_of_one_statement_takes_one_command(
    client: httpx.AsyncClient, client_103: httpx.AsyncClient, app: FastAPI, version: str
) -> None:
    http = client_103 if version == "1.0.3" else client
    first = _fresh()
    await _post(http, first)
    second = _again(first)
    before = _writer(app).groups["one_command"]
    response = await http.put(URL, params={"statementId": second["id"]}, json=second)
    assert response.status_code == 204
    assert _writer(app).groups["one_command"] == before + 1
    stored = (await http.get(URL, params={"statementId": second["id"]})).json()
    assert stored["version"] == ("1.0.0" if version == "1.0.3" else "2.0.0")


async def test_metrics_count_groups_by_way(client: httpx.AsyncClient, app: FastAPI) -> None:
    first = _fresh()
    await _post(client, first)
    await _post(client, _again(first))
    text_format = (await client.get("/metrics")).text
    for way in ("one_command", "one_transaction", "one_by_one"):
        found = re.search(rf'lrs_statement_groups_total{{way="{way}"}} (\S+)', text_format)
        assert found is not None, way
        assert float(found.group(1)) == _writer(app).groups[way]
    assert _writer(app).groups["one_command"] >= 1
    assert _writer(app).groups["one_by_one"] >= 1  # the first, alone and new


async def test_a_statement_the_database_refuses_fails_only_its_own_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """PostgreSQL cannot store U+0000: the command fails, nothing of the group is written,
    and each request is written again on its own: the bad one is a 400, the others 200."""
    first = _fresh()
    await _post(client, first)
    await _post(client, _again(first))
    good = [_again(first) for _ in range(5)]
    bad = _again(first, result={"response": "a\u0000b"})
    before = _writer(app).groups["one_by_one"]
    answers = await asyncio.gather(*(client.post(URL, json=body) for body in [*good, bad]))
    assert [a.status_code for a in answers] == [200] * 5 + [400]
    assert "cannot be stored" in answers[-1].text
    assert _writer(app).groups["one_by_one"] > before
    for body in good:
        assert (await _get(client, body["id"]))["id"] == body["id"]
    assert (await client.get(URL, params={"statementId": bad["id"]})).status_code == 404
