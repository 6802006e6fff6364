"""Routes registered once for several kinds of resource, each with its own path parameter."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.responses import Response

R = TypeVar("R", bound=Response)


def named_path_param(
    endpoint: Callable[..., Awaitable[R]], name: str
) -> Callable[..., Awaitable[R]]:
    """`endpoint` with its first parameter, the entry id, named `name` as in the path: FastAPI
    reads path parameters (and the OpenAPI document lists them) from the signature."""

    async def call(**values: Any) -> R:
        return await endpoint(values.pop(name), **values)

    # Annotations evaluated where `endpoint` was written: FastAPI would otherwise look its
    # string annotations up in this module.
    signature = inspect.signature(endpoint, eval_str=True)
    ident, *rest = signature.parameters.values()
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[ident.replace(name=name), *rest],
        return_annotation=inspect.Signature.empty,
    )
    return call
