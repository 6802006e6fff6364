"""GET/HEAD /xAPI/about (ABT-001..006): no credentials and no version header needed."""

from __future__ import annotations

from fastapi import APIRouter

from lrs import __version__
from lrs.api.deps import SettingsDep
from lrs.api.responses import JSONResponse
from lrs.xapi.versions import SUPPORTED

SERVER_EXTENSION = "https://lrs.invalid/xapi/extensions/server"

router = APIRouter()


@router.get("/xAPI/about", tags=["about"])
@router.head("/xAPI/about", tags=["about"])
async def about(settings: SettingsDep) -> JSONResponse:
    primary = settings.primary_xapi_version
    versions = [primary] + [v.value for v in SUPPORTED if v.value != primary]
    return JSONResponse(
        {
            "version": versions,
            "extensions": {SERVER_EXTENSION: {"name": "lrs", "version": __version__}},
        }
    )
