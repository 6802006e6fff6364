"""Server-side SVG bar charts: scaled to the peak, labelled, escaped, accessible."""

from __future__ import annotations

import re

from lrs.console.charts import HEIGHT, Bar, bar_chart


def _heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]


def test_bars_scale_to_the_peak() -> None:
    svg = bar_chart([Bar("a", 10), Bar("b", 5), Bar("c", 0)], title="Per day")
    tall, half, empty = _heights(svg)
    assert half == tall / 2
    assert empty == 0
    assert tall < HEIGHT
    assert 'role="img"' in svg
    assert 'aria-label="Per day"' in svg
    assert "<title>b: 5</title>" in svg


def test_no_bars_draws_the_axes_only() -> None:
    svg = bar_chart([], title="Nothing")
    assert "<rect" not in svg
    assert "<line" in svg


def test_labels_are_escaped_and_thinned() -> None:
    svg = bar_chart([Bar(f"<d{i}>", 1.5) for i in range(30)], title="x & y")
    assert "<d0>" not in svg
    assert "&lt;d0&gt;" in svg
    assert 'aria-label="x &amp; y"' in svg
    assert "<title>&lt;d1&gt;: 1.5</title>" in svg
    # One label in three when there are 30 bars.
    assert len(re.findall(r"<text [^>]*>&lt;d", svg)) == 10
