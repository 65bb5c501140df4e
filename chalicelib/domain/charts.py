"""Charts as geometry: what the console draws as inline SVG, computed here, pure.

A chart is read without colour alone: each series has its own pattern (solid, hatched,
dotted) named in the legend, every bar carries a tooltip title with its figure, and the
page shows the same figures as a table beside the chart. No script draws anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 36
PATTERNS = ("solid", "hatch", "dots", "cross")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    series: list[tuple[str, str]]  # (name, pattern)
    baseline: float
    plot_left: float
    plot_right: float
    top: float


def nice_step(value: int) -> int:
    """1, 2, 2.5 or 5 times a power of ten (whole), at least `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    for tenths in (10, 20, 25, 50, 100):
        step = tenths * power // 10
        if step >= value and step * 10 == tenths * power:
            return step
    return 10 * power


def axis_top(value: int, ticks: int = 4) -> int:
    """The top of an axis of `ticks` equal whole steps that holds `value` (e.g. 4 for
    nothing, 8 for 7, 400 for 321)."""
    return ticks * nice_step(math.ceil(value / ticks))


def bar_chart(labels: list[str], series: list[tuple[str, list[int]]], *,
              width: int = WIDTH, height: int = HEIGHT, every: int | None = None) -> Chart:
    """Grouped bars: one group per label, one bar per series. `every`: label one group
    in so many on the x axis (default: about eight labels)."""
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name} has {len(values)} values for {len(labels)} labels")
    top = axis_top(max((v for _, values in series for v in values), default=0))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    bar_w = max(group * 0.8 / max(len(series), 1), 1.0)
    bars = []
    for i, label in enumerate(labels):
        for s, (name, values) in enumerate(series):
            h = plot_h * values[i] / top
            bars.append(Bar(x=round(LEFT + i * group + group * 0.1 + s * bar_w, 2),
                            y=round(TOP + plot_h - h, 2), width=round(bar_w, 2),
                            height=round(h, 2), series=s, title=f"{label} · {name}: {values[i]}"))
    y_ticks = [Tick(round(TOP + plot_h - plot_h * n / 4, 2), f"{top * n // 4:,}".replace(",", "."))
               for n in range(5)]
    step = every or max(1, math.ceil(len(labels) / 8))
    x_ticks = [Tick(round(LEFT + i * group + group / 2, 2), label)
               for i, label in enumerate(labels) if i % step == 0]
    return Chart(width=width, height=height, bars=bars, y_ticks=y_ticks, x_ticks=x_ticks,
                 series=[(name, PATTERNS[s % len(PATTERNS)]) for s, (name, _) in enumerate(series)],
                 baseline=TOP + plot_h, plot_left=LEFT, plot_right=width - RIGHT, top=TOP)
