"""Running a mode for several rounds and taking the medians (noisy shared machines)."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bench import baseline, baseline_lrs
from bench.client import LeanClient, Target, TransportError, make_client
from bench.modes import Options, documents, export, ingest, mixed, query
from bench.report import Report, Watched, cpu_meter, rss_sampler
from bench.thin import thin_server

Mode = Callable[[LeanClient, Report, Options], Awaitable[None]]

MODES: dict[str, Mode] = {
    "ingest": ingest.run,
    "single": ingest.run_single,
    "query": query.run,
    "documents": documents.run,
    "mixed": mixed.run,
    "export": export.run,
}
WRITING = {"ingest", "single", "mixed", "ratio", "ceiling"}
FIGURES = ("items_per_s", "p50_ms", "p95_ms", "p99_ms")


def round_options(mode: str, options: Options, index: int) -> Options:
    """Writing modes take fresh statements each round (the next slice of the seed's stream)."""
    if mode in WRITING:
        return replace(options, start=options.start + index * options.count)
    return options


async def run_http(mode: str, target: Target, options: Options, watched: Watched) -> dict[str, Any]:
    report = Report(mode)
    await preflight(target)
    async with (
        make_client(target, options.concurrency) as client,
        rss_sampler(report, watched.server),
    ):
        with cpu_meter(report, {"server": watched.server, "database": watched.database}):
            await MODES[mode](client, report, options)
    return report.as_dict()


async def preflight(target: Target) -> None:
    """Fail at once, not with thousands of transport errors, when the LRS does not answer."""
    async with make_client(target, 1) as client:
        try:
            response = await client.get("/xAPI/about")
        except TransportError as error:
            raise SystemExit(f"cannot reach {target.url}: {error}") from None
    if response.status_code != 200:
        raise SystemExit(f"{target.url}about answered {response.status_code}")


async def run_ratio(
    target: Target, options: Options, database_url: str, watched: Watched
) -> dict[str, Any]:
    """A write target in one run: raw executemany in transactions of `batch` statements, then
    the LRS with POSTs of `batch` (a single statement object when `batch` is 1), same data."""
    module: Any = baseline_lrs if options.baseline == "lrs-tables" else baseline
    data = module.prepare(options.seed, options.count, options.start, options.shape)
    raw = await module.measure(database_url, data, method="executemany", chunk=options.batch)
    copy = await module.measure(database_url, data, method="copy", chunk=5000)
    mode = "single" if options.batch == 1 else "ingest"
    lrs = await run_http(mode, target, options, watched)
    [series] = lrs["series"].values()
    return {
        **lrs,
        "mode": "ratio",
        "executemany_per_s": raw["statements_per_s"],
        "copy_per_s": copy["statements_per_s"],
        "lrs_per_s": series["items_per_s"],
        "ratio_to_executemany": round(series["items_per_s"] / raw["statements_per_s"], 3),
    }


async def run_ceiling(
    target: Target, options: Options, database_url: str, watched: Watched
) -> dict[str, Any]:
    """One statement per POST, in one run: the thinnest endpoint on the same stack (see
    `bench.thin_endpoint`), then the LRS, same statements, same clients."""
    with thin_server(database_url) as (thin_url, thin_pid):
        thin_target = Target(thin_url, "", "", target.version)
        thin_watched = Watched(thin_pid, watched.database)
        thin = await run_http("single", thin_target, options, thin_watched)
    lrs = await run_http("single", target, options, watched)
    [thin_series] = thin["series"].values()
    [lrs_series] = lrs["series"].values()
    return {
        **lrs,
        "mode": "ceiling",
        "thin_per_s": thin_series["items_per_s"],
        "thin_p95_ms": thin_series["p95_ms"],
        "thin_client_cpu_s": thin.get("client_cpu_s"),
        "thin_server_cpu_ms_per_item": thin["server_cpu_ms_per_item"],
        "thin_database_cpu_ms_per_item": thin["database_cpu_ms_per_item"],
        "lrs_per_s": lrs_series["items_per_s"],
        "ratio_to_thin": round(lrs_series["items_per_s"] / thin_series["items_per_s"], 3),
    }


async def run_baseline(options: Options, database_url: str) -> dict[str, Any]:
    data = baseline.prepare(options.seed, options.count, options.start, options.shape)
    many = await baseline.measure(database_url, data, method="executemany")
    copy = await baseline.measure(database_url, data, method="copy", chunk=5000)
    return {
        "mode": "baseline",
        "executemany_per_s": many["statements_per_s"],
        "copy_per_s": copy["statements_per_s"],
        "executemany": many,
        "copy": copy,
    }


def medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every per-series figure and of every numeric top-level figure."""
    out: dict[str, Any] = {"mode": rounds[0]["mode"], "rounds": len(rounds)}
    for key, value in rounds[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers = [r[key] for r in rounds if isinstance(r.get(key), int | float)]
            out[key] = round(statistics.median(numbers), 3) if numbers else None
    series: dict[str, dict[str, float]] = {}
    for name in rounds[0].get("series", {}):
        got = [r["series"][name] for r in rounds if name in r.get("series", {})]
        series[name] = {f: round(statistics.median(g[f] for g in got), 2) for f in FIGURES}
        series[name]["errors"] = sum(sum(g["errors"].values()) for g in got)
    if series:
        out["series"] = series
    rss = [r["server_peak_rss_mb"] for r in rounds if r.get("server_peak_rss_mb") is not None]
    out["server_peak_rss_mb"] = max(rss) if rss else None
    return out
