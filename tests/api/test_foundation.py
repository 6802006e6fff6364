"""The xAPI plumbing: about, version negotiation, authentication, CORS, limits, ops."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import ADMIN_KEY, basic


async def test_about_lists_both_versions_without_auth_or_version(
    anon_client: httpx.AsyncClient,
) -> None:
    """ABT-001, ABT-002, ABT-005, ABT-006, HDR-009."""
    response = await anon_client.get("/xAPI/about")
    assert response.status_code == 200
    body = response.json()
    assert set(body) <= {"version", "extensions"}  # ABT-004
    assert body["version"][0] == "2.0.0"
    assert "1.0.3" in body["version"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("header", ["0.9", "0.95", "3.0.0", "1.1.0", "banana"])
async def test_about_ignores_bad_version_headers(
    anon_client: httpx.AsyncClient, header: str
) -> None:
    """ABT-005: /about is never refused on version grounds."""
    response = await anon_client.get("/xAPI/about", headers={"X-Experience-API-Version": header})
    assert response.status_code == 200


async def test_about_echoes_a_valid_request_version(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/xAPI/about", headers={"X-Experience-API-Version": "1.0.1"})
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


async def test_head_about_has_headers_and_no_body(anon_client: httpx.AsyncClient) -> None:
    """CT-007."""
    response = await anon_client.head("/xAPI/about")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Experience-API-Version"]


async def test_missing_version_header_is_400_with_json(anon_client: httpx.AsyncClient) -> None:
    """HDR-006, HDR-008, HDR-001 (the header is on errors too)."""
    response = await anon_client.get(
        "/xAPI/statements", headers={"Authorization": basic(ADMIN_KEY, "x")}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "X-Experience-API-Version" in error["message"]
    assert error["path"] == "header:X-Experience-API-Version"
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("header", ["0.95", "0.9", "1.1.0", "2.1.0", "3.0", "1", "abc", ""])
async def test_unsupported_versions_are_400(anon_client: httpx.AsyncClient, header: str) -> None:
    """HDR-005, HDR-007, HDR-008."""
    response = await anon_client.get(
        "/xAPI/statements", headers={"X-Experience-API-Version": header}
    )
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("header", "answered"),
    [
        ("1.0", "1.0.3"),
        ("1.0.0", "1.0.3"),
        ("1.0.3", "1.0.3"),
        ("1.0.9", "1.0.3"),
        ("2.0", "2.0.0"),
        ("2.0.0", "2.0.0"),
        ("2.0.7", "2.0.0"),
    ],
)
async def test_supported_versions_are_echoed(
    anon_client: httpx.AsyncClient, header: str, answered: str
) -> None:
    """HDR-002, HDR-003, HDR-004, VER-001: the answer names the rule set that handled it."""
    response = await anon_client.get(
        "/xAPI/statements", headers={"X-Experience-API-Version": header}
    )
    # No credentials: the version was accepted, then authentication refused the request.
    assert response.status_code == 401
    assert response.headers["X-Experience-API-Version"] == answered


async def test_no_credentials_is_401_with_challenge(anon_client: httpx.AsyncClient) -> None:
    """AUTH-003, AUTH-004."""
    response = await anon_client.get(
        "/xAPI/statements", headers={"X-Experience-API-Version": "2.0.0"}
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json()["error"]["status"] == 401


@pytest.mark.parametrize(
    "authorization",
    [
        basic(ADMIN_KEY, "wrong"),
        basic("nobody", "x"),
        "Basic !!!notbase64",
        "Bearer abc",
        "Basic " + "dXNlcm5vY29sb24=",  # "usernocolon"
    ],
)
async def test_wrong_credentials_are_401(
    anon_client: httpx.AsyncClient, authorization: str
) -> None:
    """AUTH-003."""
    response = await anon_client.get(
        "/xAPI/statements",
        headers={"X-Experience-API-Version": "2.0.0", "Authorization": authorization},
    )
    assert response.status_code == 401
    assert "secret" not in response.text.lower() or "wrong" not in response.text


async def test_cors_preflight_needs_no_credentials(anon_client: httpx.AsyncClient) -> None:
    """CORS-001..003."""
    response = await anon_client.options(
        "/xAPI/statements",
        headers={
            "Origin": "https://course.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": (
                "Authorization, Content-Type, X-Experience-API-Version, If-Match"
            ),
        },
    )
    assert response.status_code == 200
    allowed = response.headers["Access-Control-Allow-Methods"]
    for method in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        assert method in allowed
    allow_headers = response.headers["Access-Control-Allow-Headers"].lower()
    for header in (
        "authorization",
        "content-type",
        "x-experience-api-version",
        "if-match",
        "if-none-match",
    ):
        assert header in allow_headers


async def test_cors_exposes_xapi_headers(anon_client: httpx.AsyncClient) -> None:
    """CORS-003."""
    response = await anon_client.get("/xAPI/about", headers={"Origin": "https://course.example"})
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    for header in (
        "x-experience-api-version",
        "x-experience-api-consistent-through",
        "etag",
        "last-modified",
    ):
        assert header in exposed


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    """ERR-011, LIM-001."""
    response = await client.post(
        "/xAPI/statements",
        content=b"[" + b" " * (3 * 1024 * 1024) + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "LRS_MAX_BODY_BYTES" in response.json()["error"]["message"]


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/xAPI/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


async def test_health(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_schema_at_head(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_ready_reads_the_migration_scripts_once(anon_client: httpx.AsyncClient) -> None:
    """Finding the head revision parses every migration script (6 ms of CPU): `/ready`, which
    anyone may poll, does it once per process."""
    from lrs.storage.migrate import head_revision

    await anon_client.get("/ready")
    before = head_revision.cache_info()
    for _ in range(3):
        assert (await anon_client.get("/ready")).json()["schema"] == head_revision()
    assert head_revision.cache_info().misses == before.misses


def _sample(text: str, series: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(series + " "))
    return float(line.rsplit(" ", 1)[1])


async def test_metrics_count_requests_and_pool(anon_client: httpx.AsyncClient) -> None:
    await anon_client.get("/xAPI/about")
    response = await anon_client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    about = 'lrs_http_requests_total{method="GET",route="/xAPI/about",status="200"}'
    assert about in text
    # Every request counts, the series' first and later ones alike.
    for _ in range(3):
        await anon_client.get("/xAPI/about")
    later = (await anon_client.get("/metrics")).text
    assert _sample(later, about) == _sample(text, about) + 3
    assert "lrs_http_request_duration_seconds_bucket" in text
    assert "lrs_db_pool_connections_in_use" in text
    assert 'lrs_statement_groups_total{way="one_command"}' in text


async def test_responses_carry_a_request_id(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/health", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    # Without one, each response gets its own: 32 hex digits, as a UUID's hex.
    made = {(await anon_client.get("/health")).headers["X-Request-ID"] for _ in range(3)}
    assert len(made) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", m) for m in made)
