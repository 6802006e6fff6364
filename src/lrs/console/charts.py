"""Bar charts as inline SVG, drawn on the server: no script, readable without colour (each
bar has a title and the figures are also in a table next to it)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 720
HEIGHT = 220
_TOP, _BOTTOM, _LEFT = 16, 36, 44


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def bar_chart(bars: list[Bar], *, title: str, unit: str = "") -> str:
    """An accessible SVG bar chart (role img, a title); an empty list draws the axes only."""
    peak = max((b.value for b in bars), default=0.0) or 1.0
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = (WIDTH - _LEFT - 8) / max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH - 4}" '
        f'y2="{HEIGHT - _BOTTOM}" stroke="#444"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end" font-size="11">'
        f"{_number(peak)}</text>",
        f'<text x="{_LEFT - 6}" y="{HEIGHT - _BOTTOM}" text-anchor="end" font-size="11">0</text>',
    ]
    every = max(1, len(bars) // 10)
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / peak
        x = _LEFT + i * slot + slot * 0.1
        y = HEIGHT - _BOTTOM - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
            f'fill="#1f5f99"><title>{escape(bar.label)}: {_number(bar.value)}{unit}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{HEIGHT - _BOTTOM + 14}" '
                f'text-anchor="middle" font-size="11">{escape(bar.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
