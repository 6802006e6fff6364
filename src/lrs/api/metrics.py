"""Prometheus metrics: requests by route and status, latency, database pool use.

Each app has its own registry (so tests can build many apps); with several workers each
worker reports its own figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

GroupCounts = Callable[[], Mapping[str, int]]


class _StatementGroups(Collector):
    """Groups of one-statement writes (`lrs.services.group_commit`), by the way they were
    written, read from the writer when scraped."""

    def __init__(self) -> None:
        self.source: GroupCounts | None = None

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "lrs_statement_groups",
            "Groups of one-statement writes written, by way: one_command (lrs_write_group), "
            "one_transaction (the full path), one_by_one (each request in its own)",
            labels=["way"],
        )
        counts = self.source() if self.source is not None else {}
        for way in ("one_command", "one_transaction", "one_by_one"):
            family.add_metric([way], counts.get(way, 0))
        yield family


# Methods, route templates and statuses are few; the bound only guards the memory.
_SERIES_KEPT = 4096
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lrs_http_requests",
            "HTTP requests answered, by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lrs_http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.pool_checked_out = Gauge(
            "lrs_db_pool_connections_in_use",
            "Database connections checked out of the pool",
            registry=self.registry,
        )
        self.pool_size = Gauge(
            "lrs_db_pool_size", "Connections the pool keeps open", registry=self.registry
        )
        # Each request's two series, looked up once (prometheus_client's `labels` checks and
        # locks on every call: about 2 us of a request).
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._groups = _StatementGroups()
        self.registry.register(self._groups)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            if len(self._series) < _SERIES_KEPT:
                self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def render(
        self, pool_stats: Callable[[], tuple[int, int]] | None, groups: GroupCounts | None = None
    ) -> bytes:
        self._groups.source = groups
        if pool_stats is not None:
            in_use, size = pool_stats()
            self.pool_checked_out.set(in_use)
            self.pool_size.set(size)
        return generate_latest(self.registry)
