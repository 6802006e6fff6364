"""OpenAPI descriptions of the query parameters and headers the xAPI routes read by hand.

The routers read `request.query_params` themselves (xAPI refuses unknown and wrongly cased
names, which declared FastAPI parameters would not), so the parameters are described here
for the spec: clients, BI tools and API fuzzers see every parameter.
"""

from __future__ import annotations

from typing import Any

Parameter = dict[str, Any]


def _parameter(
    where: str, name: str, description: str, *, required: bool, **schema: Any
) -> Parameter:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def query(name: str, description: str, *, required: bool = False, **schema: Any) -> Parameter:
    return _parameter("query", name, description, required=required, **schema)


def header(name: str, description: str, *, required: bool = False, **schema: Any) -> Parameter:
    return _parameter("header", name, description, required=required, **schema)


def json_body(schema: dict[str, Any], *, csv_columns: str = "") -> dict[str, Any]:
    """An `openapi_extra` required request body: JSON of `schema`, and CSV when
    `csv_columns` names the header row's columns."""
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if csv_columns:
        content["text/csv"] = {
            "schema": {"type": "string", "description": f"header row; columns: {csv_columns}"}
        }
    return {"requestBody": {"required": True, "content": content}}


VERSION_HEADER = header(
    "X-Experience-API-Version",
    "1.0.x (answered under the 1.0.3 rules) or 2.0.x (the 2.0.0 rules)",
    required=True,
    example="2.0.0",
)
ACCEPT_LANGUAGE = header("Accept-Language", "languages preferred in format=canonical")
IF_MATCH = header("If-Match", "write only if the document's ETag matches (412 otherwise)")
IF_NONE_MATCH = header("If-None-Match", "`*`: write only if no document exists (412 otherwise)")

BOOL: dict[str, Any] = {"enum": ["true", "false"]}
AGENT = 'an Agent (or identified Group) as JSON, e.g. {"mbox":"mailto:a@example.com"}'

STATEMENT_GET = [
    VERSION_HEADER,
    ACCEPT_LANGUAGE,
    query("statementId", "one statement by id", format="uuid"),
    query("voidedStatementId", "one voided statement by id", format="uuid"),
    query("agent", AGENT),
    query("verb", "verb IRI"),
    query("activity", "activity IRI (the object, or any related activity)"),
    query("registration", "registration UUID", format="uuid"),
    query("related_activities", "also match context activities", **BOOL),
    query("related_agents", "also match authority, instructor, team, context agents", **BOOL),
    query("since", "statements stored strictly after (ISO 8601)", format="date-time"),
    query("until", "statements stored at or before (ISO 8601)", format="date-time"),
    query("limit", "page size; 0 means the server maximum", pattern="^[0-9]+$"),
    query("format", "statement format", enum=["exact", "ids", "canonical"]),
    query("attachments", "answer multipart/mixed with attachment data", **BOOL),
    query("ascending", "oldest first", **BOOL),
    query("more", "the continuation token of a `more` link"),
]
STATEMENT_PUT = [VERSION_HEADER, query("statementId", "the statement's id", required=True)]
STATEMENT_POST = [VERSION_HEADER]


def document_params(id_param: str, key_params: tuple[str, ...], *, write: bool) -> list[Parameter]:
    """The parameters of one document resource (State, Activity Profile, Agent Profile)."""
    described = {
        "activityId": query("activityId", "activity IRI", required=True),
        "agent": query("agent", AGENT, required=True),
        "registration": query("registration", "registration UUID", format="uuid"),
    }
    params = [VERSION_HEADER, *(described[name] for name in key_params)]
    params.append(query(id_param, "document id; omit on GET to list ids"))
    if write:
        params += [IF_MATCH, IF_NONE_MATCH]
    else:
        params.append(query("since", "list only ids changed after (ISO 8601)", format="date-time"))
    return params


AGENTS_GET = [VERSION_HEADER, query("agent", AGENT, required=True)]
ACTIVITIES_GET = [VERSION_HEADER, query("activityId", "activity IRI", required=True)]
