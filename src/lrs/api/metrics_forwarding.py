"""Forwarding figures in /metrics, per target. They are read from the database by the
forwarder (every few seconds), so every worker reports the same values."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Gauge

from lrs.services.forwarder import TargetStatus


class ForwardingGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, text: str, labels: Sequence[str] = ("target",)) -> Gauge:
            return Gauge(name, text, list(labels), registry=registry)

        self.pending = gauge("lrs_forwarding_pending_statements", "Statements waiting, by target")
        self.lag = gauge(
            "lrs_forwarding_lag_seconds", "Age of the oldest statement waiting, by target"
        )
        self.delivered = gauge(
            "lrs_forwarding_delivered_statements", "Statements delivered, by target"
        )
        self.filtered = gauge(
            "lrs_forwarding_filtered_statements", "Statements a target's filters left out"
        )
        self.retried = gauge("lrs_forwarding_retries", "Failed attempts retried, by target")
        self.dead = gauge("lrs_forwarding_dead_statements", "Statements dead-lettered, by target")
        self.over_cap = gauge(
            "lrs_forwarding_outbox_over_cap",
            "1 when a target has more pending statements than LRS_FORWARDING_MAX_PENDING",
            (),
        )
        self._known: set[str] = set()

    def update(self, targets: Sequence[TargetStatus], over_cap: bool) -> None:
        current = {t.id for t in targets}
        for gone in self._known - current:
            for metric in (
                self.pending,
                self.lag,
                self.delivered,
                self.filtered,
                self.retried,
                self.dead,
            ):
                metric.remove(gone)
        self._known = current
        for t in targets:
            self.pending.labels(t.id).set(t.pending)
            self.lag.labels(t.id).set(t.lag_seconds)
            self.delivered.labels(t.id).set(t.delivered)
            self.filtered.labels(t.id).set(t.filtered)
            self.retried.labels(t.id).set(t.retried)
            self.dead.labels(t.id).set(t.dead)
        self.over_cap.set(1 if over_cap else 0)
