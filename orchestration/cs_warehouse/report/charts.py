"""Inline SVG charts, drawn in Python so the report opens offline with no script library.

Every chart is one `<svg class="chart" data-chart="...">` with a viewBox (it scales with the page) and a
`<title>` on each mark, which browsers show as a tooltip without any JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = {
    "ink": "#1f2933",
    "muted": "#7b8794",
    "grid": "#e4e7eb",
    "blue": "#2563eb",
    "teal": "#0d9488",
    "orange": "#ea580c",
    "purple": "#7c3aed",
    "up": "#16a34a",
    "down": "#dc2626",
    "total": "#475569",
    "red": "#dc2626",
    "yellow": "#eab308",
    "green": "#16a34a",
}
FONT = 'font-family="inherit"'


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    points: Sequence[float | None]
    dashed: bool = False


def _svg(kind: str, width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, size: int = 11, anchor: str = "middle", fill: str = "", extra: str = ""
) -> str:
    color = fill or PALETTE["muted"]
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}" {FONT} {extra}>'
        f"{escape(text)}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "", *, cls: str = "bar", rx: int = 0) -> str:
    attrs = f' class="{cls}"' if cls else ""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect{attrs} x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" fill="{fill}">{title}</rect>'
    )


def _nice_range(values: Sequence[float], include_zero: bool) -> tuple[float, float]:
    low, high = min(values), max(values)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high, low = high + 1, low - (1 if low else 0)
    pad = (high - low) * 0.08
    return (low if include_zero and low == 0 else low - pad), high + pad


def _nice_scale(low: float, high: float, count: int = 4) -> tuple[float, float, list[float]]:
    """Widen [low, high] to round tick steps (1, 2, 2.5, 5 x 10^k) so axis labels read as plain numbers."""
    raw = (high - low) / count or 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    first, last = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    ticks = [first + step * i for i in range(round((last - first) / step) + 1)]
    return first, last, ticks


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    *,
    label: str,
    include_zero: bool = False,
    reference: float | None = None,
    width: int = 720,
    height: int = 260,
) -> str:
    left, right, top, bottom = 56, 16, 16, 54
    values = [v for s in series for v in s.points if v is not None]
    if reference is not None:
        values.append(reference)
    if not values or not x_labels:
        return ""
    low, high, ticks = _nice_scale(*_nice_range(values, include_zero))
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    body = []
    for tick in ticks:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{PALETTE["grid"]}"/>'
        )
        body.append(_text(left - 6, y(tick) + 4, fmt(tick), size=10, anchor="end"))
    if reference is not None:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(reference):.1f}" y2="{y(reference):.1f}" '
            f'stroke="{PALETTE["muted"]}" stroke-dasharray="2 3"/>'
        )
    step = max(1, round(n / 8))
    for i, name in enumerate(x_labels):
        # The last label only when it does not collide with the last regular one.
        if i % step == 0 or (i == n - 1 and i % step > step / 2):
            body.append(_text(x(i), height - bottom + 16, name, size=10))
    for s in series:
        path, segment = [], []
        for i, v in enumerate(s.points):
            if v is None:
                if segment:
                    path.append(segment)
                segment = []
                continue
            segment.append((x(i), y(v)))
        if segment:
            path.append(segment)
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        for seg in path:
            d = " ".join(f"{'M' if k == 0 else 'L'}{px:.1f},{py:.1f}" for k, (px, py) in enumerate(seg))
            body.append(f'<path class="series" d="{d}" fill="none" stroke="{s.color}" stroke-width="2.2"{dash}/>')
        for i, v in enumerate(s.points):
            if v is not None:
                body.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.8" fill="{s.color}">'
                    f"<title>{escape(s.label)} {escape(x_labels[i])}: {escape(fmt(v))}</title></circle>"
                )
    # Legend under the axis, one swatch per series.
    lx = left
    for s in series:
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        body.append(
            f'<line x1="{lx}" x2="{lx + 18}" y1="{height - 12}" y2="{height - 12}" '
            f'stroke="{s.color}" stroke-width="3"{dash}/>'
        )
        body.append(_text(lx + 24, height - 8, s.label, size=11, anchor="start", fill=PALETTE["ink"]))
        lx += 34 + 7 * len(s.label) + (6 * sum(1 for ch in s.label if ord(ch) > 0x2E80))
    return _svg("line", width, height, body, label)


@dataclass(frozen=True)
class Step:
    label: str
    value: float
    kind: str  # "total", "up" or "down"


def waterfall(
    steps: Sequence[Step], fmt: Callable[[float], str], *, label: str, width: int = 720, height: int = 280
) -> str:
    left, right, top, bottom = 64, 16, 24, 40
    running, bars = 0.0, []
    for step in steps:
        if step.kind == "total":
            bars.append((0.0, step.value, step))
            running = step.value
        else:
            delta = step.value if step.kind == "up" else -step.value
            bars.append((running, running + delta, step))
            running += delta
    # Start and end totals dwarf a month's movements: the axis starts below the lowest level the bridge
    # touches (totals are drawn from the axis floor), so the movements stay readable.
    levels = [v for lo, hi, step in bars for v in ((hi,) if step.kind == "total" else (lo, hi))]
    spread = (max(levels) - min(levels)) or abs(max(levels)) or 1.0
    low, high, ticks = _nice_scale(max(0.0, min(levels) - spread * 1.5), max(levels) + spread * 0.25)
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    slot = plot_w / len(bars)
    body = []
    for tick in ticks:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{PALETTE["grid"]}"/>'
        )
        body.append(_text(left - 6, y(tick) + 4, fmt(tick), size=10, anchor="end"))
    for i, (lo, hi, step) in enumerate(bars):
        color = {"total": PALETTE["total"], "up": PALETTE["up"], "down": PALETTE["down"]}[step.kind]
        x0 = left + slot * i + slot * 0.18
        top_v, bottom_v = max(lo, hi), min(lo, hi)
        y0, y1 = y(top_v), y(max(bottom_v, low))
        h = max(1.0, y1 - y0)
        shown = step.value if step.kind != "down" else -step.value
        body.append(_rect(x0, y0, slot * 0.64, h, color, f"{step.label}: {fmt(shown)}", rx=2))
        value_text = fmt(step.value) if step.kind == "total" else ("+" if step.kind == "up" else "−") + fmt(step.value)
        body.append(_text(x0 + slot * 0.32, y0 - 6, value_text, size=10, fill=PALETTE["ink"]))
        body.append(_text(x0 + slot * 0.32, height - bottom + 16, step.label, size=11, fill=PALETTE["ink"]))
        if i < len(bars) - 1:
            level = hi
            body.append(
                f'<line x1="{x0 + slot * 0.64:.1f}" x2="{x0 + slot:.1f}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
                f'stroke="{PALETTE["muted"]}" stroke-dasharray="3 3"/>'
            )
    return _svg("waterfall", width, height, body, label)


def _mix(color_a: str, color_b: str, share: float) -> str:
    a = [int(color_a[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(color_b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    cells: Sequence[Sequence[float | None]],
    fmt: Callable[[float], str],
    *,
    label: str,
    high_is_good: bool,
    scale_max: float | None = None,
    notes: Sequence[Sequence[str]] | None = None,
    row_header: str = "",
    col_header: str = "",
    width: int = 720,
) -> str:
    left = 20 + max(7 * max((len(r) for r in row_labels), default=4), 60)
    top, cell_h = 40, 26
    height = top + cell_h * len(row_labels) + 30
    cell_w = (width - left - 10) / max(1, len(col_labels))
    values = [v for row in cells for v in row if v is not None]
    vmax = scale_max if scale_max is not None else (max(values) if values else 1.0)
    vmin = 0.0 if scale_max is not None or not values else min(values)
    span = (vmax - vmin) or 1.0
    # One hue per meaning: blue for "more is better" (retention), red for "more is worse" (churn).
    low_color, high_color = ("#eff6ff", "#1d4ed8") if high_is_good else ("#f8fafc", "#b91c1c")
    body = [_text(left - 8, top - 10, row_header, size=10, anchor="end")]
    for j, name in enumerate(col_labels):
        body.append(_text(left + cell_w * (j + 0.5), top - 8, name, size=10))
    for i, name in enumerate(row_labels):
        yy = top + cell_h * i
        body.append(_text(left - 8, yy + cell_h / 2 + 4, name, size=11, anchor="end", fill=PALETTE["ink"]))
        for j, value in enumerate(cells[i]):
            xx = left + cell_w * j
            if value is None:
                body.append(_rect(xx + 1, yy + 1, cell_w - 2, cell_h - 2, "#fafafa", cls=""))
                continue
            share = min(1.0, max(0.0, (value - vmin) / span))
            fill = _mix(low_color, high_color, share)
            text_color = "#ffffff" if share > 0.55 else PALETTE["ink"]
            note = f" ({notes[i][j]})" if notes else ""
            tip = f"{name} × {col_labels[j]}: {fmt(value)}{note}"
            body.append(_rect(xx + 1, yy + 1, cell_w - 2, cell_h - 2, fill, tip, cls="cell", rx=2))
            if cell_w >= 30:
                body.append(_text(xx + cell_w / 2, yy + cell_h / 2 + 4, fmt(value), size=10, fill=text_color))
    body.append(_text(left + (width - left) / 2, height - 8, col_header, size=10))
    return _svg("heatmap", width, height, body, label)


def funnel(
    steps: Sequence[tuple[str, float]], fmt_count: Callable[[float], str], *, label: str, width: int = 720
) -> str:
    left, bar_h, gap, top = 170, 28, 8, 8
    height = top + len(steps) * (bar_h + gap) + 4
    first = steps[0][1] if steps and steps[0][1] else 1.0
    plot_w = width - left - 120
    body = []
    for i, (name, count) in enumerate(steps):
        yy = top + i * (bar_h + gap)
        share = count / first
        w = max(2.0, plot_w * share)
        x0 = left + (plot_w - w) / 2
        color = _mix("#93c5fd", "#1d4ed8", 1 - i / max(1, len(steps) - 1))
        body.append(_text(left - 10, yy + bar_h / 2 + 4, name, size=12, anchor="end", fill=PALETTE["ink"]))
        body.append(
            f'<rect class="bar" x="{x0:.1f}" y="{yy}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{color}">'
            f"<title>{escape(name)}: {escape(fmt_count(count))} ({share:.0%})</title></rect>"
        )
        body.append(
            _text(
                left + plot_w + 10,
                yy + bar_h / 2 + 4,
                f"{fmt_count(count)}  ({share:.0%})",
                size=12,
                anchor="start",
                fill=PALETTE["ink"],
            )
        )
    return _svg("funnel", width, height, body, label)


def bar_chart(
    x_labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Callable[[float], str],
    *,
    label: str,
    width: int = 720,
    height: int = 240,
) -> str:
    """Bars from a zero line, coloured by sign (NPS runs from −100 to 100). A label may hold a line break."""
    lines = max((label.count("\n") + 1 for label in x_labels), default=1)
    left, right, top, bottom = 48, 16, 20, 22 + 12 * lines
    present = [v for v in values if v is not None] or [0.0]
    low, high, ticks = _nice_scale(*_nice_range(present, include_zero=True))
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    slot = plot_w / max(1, len(values))
    body = []
    for tick in ticks:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{PALETTE["grid"]}"/>'
        )
        body.append(_text(left - 6, y(tick) + 4, fmt(tick), size=10, anchor="end"))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{PALETTE["muted"]}"/>')
    for i, value in enumerate(values):
        cx = left + slot * (i + 0.5)
        for k, line in enumerate(x_labels[i].split("\n")):
            body.append(_text(cx, height - bottom + 16 + 12 * k, line, size=10))
        if value is None:
            continue
        y0, y1 = sorted((y(value), y(0)))
        color = PALETTE["up"] if value >= 0 else PALETTE["down"]
        body.append(
            _rect(
                cx - slot * 0.3,
                y0,
                slot * 0.6,
                max(1.0, y1 - y0),
                color,
                f"{' '.join(x_labels[i].split())}: {fmt(value)}",
                rx=2,
            )
        )
        ty = y0 - 5 if value >= 0 else y1 + 13
        body.append(_text(cx, ty, fmt(value), size=10, fill=PALETTE["ink"]))
    return _svg("bars", width, height, body, label)


def stacked_bars(
    x_labels: Sequence[str],
    layers: Sequence[tuple[str, str, Sequence[float]]],
    *,
    label: str,
    width: int = 720,
    height: int = 240,
) -> str:
    """100 % stacked columns: the share of each layer per column, counts in the tooltips."""
    left, right, top, bottom = 44, 16, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(1, len(x_labels))
    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        yy = top + plot_h * (1 - tick)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{PALETTE["grid"]}"/>')
        body.append(_text(left - 6, yy + 4, f"{tick:.0%}", size=10, anchor="end"))
    step = max(1, round(len(x_labels) / 10))
    for j, name in enumerate(x_labels):
        total = sum(layer[2][j] for layer in layers) or 1.0
        base = 0.0
        x0 = left + slot * j + slot * 0.15
        for layer_name, color, counts in layers:
            share = counts[j] / total
            if share > 0:
                yy = top + plot_h * (1 - base - share)
                tip = f"{name} {layer_name}: {counts[j]:,.0f} ({share:.0%})"
                body.append(_rect(x0, yy, slot * 0.7, plot_h * share, color, tip))
            base += share
        if j % step == 0 or j == len(x_labels) - 1:
            body.append(_text(x0 + slot * 0.35, height - bottom + 16, name, size=10))
    lx = left
    for layer_name, color, _ in layers:
        body.append(f'<rect x="{lx}" y="{height - 20}" width="12" height="12" rx="2" fill="{color}"/>')
        body.append(_text(lx + 18, height - 10, layer_name, size=11, anchor="start", fill=PALETTE["ink"]))
        lx += 40 + 8 * len(layer_name)
    return _svg("stacked", width, height, body, label)


def sparkline(
    values: Sequence[float | None], *, color: str = PALETTE["blue"], width: int = 120, height: int = 32
) -> str:
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span = (hi - lo) or 1.0
    n = len(values) - 1 or 1
    d = " ".join(
        f"{'M' if k == 0 else 'L'}{2 + (width - 4) * i / n:.1f},{height - 3 - (height - 6) * (v - lo) / span:.1f}"
        for k, (i, v) in enumerate(points)
    )
    return (
        f'<svg class="spark" data-chart="sparkline" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f'<path d="{d}" fill="none" stroke="{color}" stroke-width="1.8"/></svg>'
    )
