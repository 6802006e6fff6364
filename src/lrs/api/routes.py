"""Every resource router the app mounts, in one list."""

from __future__ import annotations

from fastapi import APIRouter

from lrs.api import (
    about,
    console,
    console_admin,
    console_registry,
    console_reports,
    documents,
    extensions,
    forwarding,
    identities,
    lifecycle,
    ops,
    service_proof,
    statements,
)


def resource_routers() -> list[APIRouter]:
    """In the order requests are matched: the Statement Resource, the busiest, first."""
    return [
        statements.router,
        about.router,
        ops.router,
        documents.router,
        identities.router,
        extensions.router,
        lifecycle.router,
        service_proof.router,
        forwarding.router,
        console.router,
        console_admin.router,
        console_registry.router,
        console_reports.router,
    ]
