"""Inline SVG charts for the console, rendered on the server (no JavaScript, no chart library).

Every text that reaches the SVG goes through `html.escape`; the result is marked safe for jinja2.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

__all__ = ["Series", "bar_chart", "format_value", "line_chart", "nice_ceiling"]

_W, _H = 560, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 10, 12, 24


@dataclass(frozen=True, slots=True)
class Series:
    """One named series: a value per x position (None: no data there)."""

    name: str
    color: str
    values: Sequence[float | None]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10.0 * power


def format_value(value: float, unit: str) -> str:
    """A short axis/label text: `1.2k`, `0.35 ms`, `$0.0042`, `75%`."""
    if unit == "$":
        return f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    if unit == "%":
        return f"{value:.0f}%"
    text = f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def _frame(labels: Sequence[str], top: float, unit: str, title: str) -> list[str]:
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{html.escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i in range(5):
        y = _TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        out.append(f'<line class="gl" x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{html.escape(format_value(value, unit))}</text>"
        )
    step = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            x = _x(i, len(labels), plot_w)
            text = html.escape(label)
            out.append(f'<text class="axis" x="{x:.1f}" y="{_H - 6}" text-anchor="middle">{text}</text>')
    return out


def _x(index: int, count: int, plot_w: float) -> float:
    return _LEFT + (plot_w * (index + 0.5) / count if count else 0.0)


def _legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<span class="key"><i style="background:{html.escape(s.color)}"></i>{html.escape(s.name)}</span>'
        for s in series
    )
    return f'<div class="legend">{items}</div>'


def _top(series: Sequence[Series], unit: str, stacked: bool) -> float:
    if stacked:
        sums = [sum(v or 0.0 for v in column) for column in zip(*(s.values for s in series), strict=True)]
        peak = max(sums, default=0.0)
    else:
        peak = max((v for s in series for v in s.values if v is not None), default=0.0)
    return 100.0 if unit == "%" else nice_ceiling(peak)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "") -> Markup:
    """Lines (with dots) over time; gaps where a value is None."""
    top = _top(series, unit, stacked=False)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    out = _frame(labels, top, unit, title)
    for s in series:
        points = [
            (_x(i, len(labels), plot_w), _TOP + plot_h * (1 - v / top))
            for i, v in enumerate(s.values)
            if v is not None
        ]
        color = html.escape(s.color)
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in points)
    out.append("</svg>")
    return Markup("".join(out) + _legend(series))  # noqa: S704  # every text above is escaped


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "") -> Markup:
    """Stacked bars over time, one stack per x position."""
    top = _top(series, unit, stacked=True)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    out = _frame(labels, top, unit, title)
    width = max(1.0, plot_w / max(1, len(labels)) * 0.7)
    for i in range(len(labels)):
        base = 0.0
        for s in series:
            value = s.values[i] or 0.0
            if value <= 0:
                continue
            y = _TOP + plot_h * (1 - (base + value) / top)
            h = plot_h * value / top
            x = _x(i, len(labels), plot_w) - width / 2
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{html.escape(s.color)}"><title>{html.escape(labels[i])} {html.escape(s.name)}: '
                f"{html.escape(format_value(value, unit))}</title></rect>"
            )
            base += value
    out.append("</svg>")
    return Markup("".join(out) + _legend(series))  # noqa: S704  # every text above is escaped
