"""Bar charts as inline SVG, drawn in Python so the dashboard needs no script library and no network.

Two shapes cover every chart the dashboard shows: horizontal bars (one row per category, one bar
per series in it) and columns (a histogram, one column per series in each bin). Every bar carries
`data-series`, `data-category` and `data-value`, and every chart `data-chart`, so tests and
scripts can read the numbers back from the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

# Series colours (one per run) picked to stay apart for the common colour-vision deficiencies.
PALETTE = ("#3b6fd4", "#e8772e", "#2a9d78", "#9c5fc7", "#c94b63", "#6b7a8f")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Liberation Sans', sans-serif"
GRID = "#e3e6ea"
AXIS = "#9aa3ad"
TEXT = "#3d4650"
MUTED = "#6b7480"


@dataclass(frozen=True)
class Series:
    """One run's values, in the order of the chart's categories."""

    name: str
    values: tuple[float, ...]
    color: str
    # What to print at the end of each bar; the value itself when empty.
    labels: tuple[str, ...] = ()

    def label(self, i: int) -> str:
        return self.labels[i] if self.labels else number(self.values[i])


def series_color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def number(value: float) -> str:
    """3.0 -> '3', 2.25 -> '2.2', for labels that must stay short."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def hbar_chart(
    chart: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    max_value: float | None = None,
    category_colors: Mapping[str, str] | None = None,
    category_titles: Mapping[str, str] | None = None,
    label_width: int = 150,
    width: int = 560,
    empty_text: str = "Nothing to show",
) -> str:
    """Horizontal bars: a row per category, a bar per series in each row."""
    many = len(series) > 1
    bar_h = 13 if many else 18
    gap = 3
    band = len(series) * bar_h + (len(series) - 1) * gap
    row_gap = 12
    top = 30 if many else 8
    plot_x = label_width
    plot_w = width - label_width - 70  # room on the right for the value labels
    rows_h = len(categories) * (band + row_gap)
    height = top + max(rows_h, 40) + 26
    peak = max((v for s in series for v in s.values), default=0.0)
    scale_top, step = axis_scale(max_value if max_value is not None else peak)
    # A rate chart (fixed `max_value`) shows its zero bars; a count chart with nothing says so.
    empty = not categories or (peak <= 0 and max_value is None)
    parts = [_open(chart, title, width, height, empty=empty)]
    if many:
        parts.append(_legend(series, plot_x, 10))
    parts.extend(_x_grid(plot_x, plot_w, top, top + max(rows_h, 40), scale_top, step))
    if empty:
        parts.append(_text(plot_x + plot_w / 2, top + 24, empty_text, anchor="middle", fill=MUTED))
    for row, category in enumerate(categories):
        y0 = top + row * (band + row_gap) + row_gap / 2
        hint = (category_titles or {}).get(category, category)
        label = escape(_clip(category, label_width))
        parts.append(
            f'<text x="{plot_x - 8}" y="{y0 + band / 2:.1f}" text-anchor="end" dominant-baseline="middle" '
            f'font-size="12" fill="{TEXT}"><title>{escape(hint)}</title>{label}</text>'
        )
        for k, s in enumerate(series):
            value = s.values[row]
            color = s.color if many or not category_colors else category_colors.get(category, s.color)
            w = _length(value, scale_top, plot_w)
            y = y0 + k * (bar_h + gap)
            parts.append(_bar(s.name, category, value, plot_x, y, w, bar_h, color, hint))
            parts.append(
                _text(
                    plot_x + w + 5,
                    y + bar_h / 2,
                    s.label(row),
                    anchor="start",
                    size=11,
                    fill=TEXT,
                    middle=True,
                )
            )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    chart: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str = "",
    y_label: str = "",
    width: int = 560,
    height: int = 260,
) -> str:
    """Vertical columns: a group per category (a histogram bin), a column per series in each."""
    many = len(series) > 1
    top = 32 if many else 12
    left, bottom = 44, 44 if x_label else 26
    plot_w = width - left - 12
    plot_h = height - top - bottom
    peak = max((v for s in series for v in s.values), default=0.0)
    scale_top, step = axis_scale(peak)
    parts = [_open(chart, title, width, height, empty=peak <= 0)]
    if many:
        parts.append(_legend(series, left, 10))
    for tick in _ticks(scale_top, step):
        y = top + plot_h - tick / scale_top * plot_h
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y, number(tick), anchor="end", size=11, fill=MUTED, middle=True))
    base = top + plot_h
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{base}" y2="{base}" stroke="{AXIS}"/>')
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.78 / max(len(series), 1)
    for i, category in enumerate(categories):
        gx = left + i * group_w + group_w * 0.11
        for k, s in enumerate(series):
            value = s.values[i]
            h = _length(value, scale_top, plot_h)
            x = gx + k * bar_w
            parts.append(_vbar(s.name, category, value, x, base - h, bar_w - 1, h, s.color))
            if value > 0:
                parts.append(
                    _text(x + bar_w / 2, base - h - 4, s.label(i), anchor="middle", size=10, fill=TEXT)
                )
        parts.append(
            _text(left + (i + 0.5) * group_w, base + 15, category, anchor="middle", size=11, fill=MUTED)
        )
    if x_label:
        parts.append(_text(left + plot_w / 2, height - 6, x_label, anchor="middle", size=11, fill=MUTED))
    if y_label:
        cy = top + plot_h / 2
        parts.append(
            f'<text x="12" y="{cy:.1f}" transform="rotate(-90 12 {cy:.1f})" text-anchor="middle" '
            f'font-size="11" fill="{MUTED}">{escape(y_label)}</text>'
        )
    if peak <= 0:
        parts.append(_text(left + plot_w / 2, top + plot_h / 2, "No scores", anchor="middle", fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def axis_scale(peak: float) -> tuple[float, float]:
    """The axis top and tick step for values up to `peak`: round numbers, at most ~5 ticks."""
    if peak <= 0:
        return 1.0, 1.0
    raw = peak / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0) if peak >= 1 else step  # counts never get fractional ticks
    return math.ceil(peak / step - 1e-9) * step, step


# --- pieces ---------------------------------------------------------------------------------


def _open(chart: str, title: str, width: int, height: int, *, empty: bool) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{escape(chart)}" '
        f'data-empty="{int(empty)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{escape(FONT)}"><title>{escape(title)}</title>'
    )


def _legend(series: Sequence[Series], x: float, y: float) -> str:
    parts = ['<g class="legend">']
    for s in series:
        parts.append(
            f'<g data-series="{escape(s.name)}"><rect x="{x:.1f}" y="{y - 9:.1f}" width="11" height="11" '
            f'rx="2" fill="{s.color}"/>'
        )
        parts.append(_text(x + 16, y - 3.5, s.name, anchor="start", size=12, fill=TEXT, middle=True) + "</g>")
        x += 16 + 7.2 * len(s.name) + 18  # the text is not measured: a generous average glyph width
    parts.append("</g>")
    return "".join(parts)


def _x_grid(x: float, w: float, y0: float, y1: float, scale_top: float, step: float) -> list[str]:
    parts = []
    for tick in _ticks(scale_top, step):
        gx = x + tick / scale_top * w
        stroke = AXIS if tick == 0 else GRID
        parts.append(f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{y0}" y2="{y1}" stroke="{stroke}"/>')
        parts.append(_text(gx, y1 + 14, number(tick), anchor="middle", size=11, fill=MUTED))
    return parts


def _ticks(scale_top: float, step: float) -> list[float]:
    count = round(scale_top / step)
    return [i * step for i in range(count + 1)]


def _length(value: float, scale_top: float, span: float) -> float:
    if value <= 0:
        return 0.0
    # A tiny but non-zero value still shows as a sliver, so it is not read as zero.
    return max(value / scale_top * span, 2.0)


def _bar(
    series: str, category: str, value: float, x: float, y: float, w: float, h: float, color: str, hint: str
) -> str:
    return (
        f'<rect class="bar" data-series="{escape(series)}" data-category="{escape(category)}" '
        f'data-value="{_exact(value)}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h}" rx="2" '
        f'fill="{color}"><title>{escape(series)} · {escape(hint)}: {number(value)}</title></rect>'
    )


def _vbar(
    series: str, category: str, value: float, x: float, y: float, w: float, h: float, color: str
) -> str:
    return (
        f'<rect class="bar" data-series="{escape(series)}" data-category="{escape(category)}" '
        f'data-value="{_exact(value)}" x="{x:.1f}" y="{y:.1f}" width="{max(w, 1):.1f}" height="{h:.1f}" '
        f'rx="2" fill="{color}"><title>{escape(series)} · {escape(category)}: {number(value)}</title></rect>'
    )


def _exact(value: float) -> str:
    # The value a test or script reads back: exact for counts, two decimals for rates.
    return format(round(float(value), 2), "g")


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str,
    size: int = 12,
    fill: str = TEXT,
    middle: bool = False,
) -> str:
    baseline = ' dominant-baseline="middle"' if middle else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{baseline}>'
        f"{escape(text)}</text>"
    )


def _clip(text: str, width: int) -> str:
    # About 6.6 px per glyph at 12 px: keep labels inside their column, the full text is the tooltip.
    limit = max(int((width - 12) / 6.6), 4)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Points:
    """One run's (x, y) pairs for a scatter chart."""

    name: str
    points: tuple[tuple[float, float], ...]
    color: str


def scatter_chart(
    chart: str,
    title: str,
    series: Sequence[Points],
    *,
    x_label: str,
    y_label: str,
    span: float = 10.0,
    width: int = 560,
    height: int = 300,
    empty_text: str = "Nothing to show",
) -> str:
    """Points on two axes from 0 to `span` (further when a value is larger), with the diagonal
    where x equals y. Equal pairs are one circle whose area grows with how many they are
    (`data-count`): scores and ratings are mostly whole numbers and would hide each other."""
    many = len(series) > 1
    top, right = (32 if many else 12), 14
    left, bottom = 44, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((max(x, y) for s in series for x, y in s.points), default=0.0)
    scale_top, step = axis_scale(peak) if peak > span else (span, span / 5)
    empty = not any(s.points for s in series)
    parts = [_open(chart, title, width, height, empty=empty)]
    if many:
        parts.append(_legend(series_of_points(series), left, 10))
    base = top + plot_h
    for tick in _ticks(scale_top, step):
        y = base - tick / scale_top * plot_h
        x = left + tick / scale_top * plot_w
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{base}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y, number(tick), anchor="end", size=11, fill=MUTED, middle=True))
        parts.append(_text(x, base + 15, number(tick), anchor="middle", size=11, fill=MUTED))
    parts.append(
        f'<line class="diagonal" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{top}" stroke="{AXIS}" '
        'stroke-dasharray="4 4"/>'
    )
    for k, s in enumerate(series):
        counts: dict[tuple[float, float], int] = {}
        for point in s.points:
            counts[point] = counts.get(point, 0) + 1
        # Runs side by side are nudged apart, so one run's circle does not cover another's.
        nudge = (k - (len(series) - 1) / 2) * 5
        for (x, y), n in sorted(counts.items()):
            cx = left + x / scale_top * plot_w + nudge
            cy = base - y / scale_top * plot_h
            parts.append(
                f'<circle class="point" data-series="{escape(s.name)}" data-x="{_exact(x)}" '
                f'data-y="{_exact(y)}" data-count="{n}" cx="{cx:.1f}" cy="{cy:.1f}" '
                f'r="{3.5 + 2.2 * math.sqrt(n - 1):.1f}" fill="{s.color}" fill-opacity="0.6" '
                f'stroke="{s.color}">'
                f"<title>{escape(s.name)} · {escape(x_label)} {number(x)}, {escape(y_label)} {number(y)}: "
                f"{n} task{'s' if n != 1 else ''}</title></circle>"
            )
    parts.append(_text(left + plot_w / 2, height - 6, x_label, anchor="middle", size=11, fill=MUTED))
    cy = top + plot_h / 2
    parts.append(
        f'<text x="12" y="{cy:.1f}" transform="rotate(-90 12 {cy:.1f})" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">{escape(y_label)}</text>'
    )
    if empty:
        parts.append(_text(left + plot_w / 2, top + plot_h / 2, empty_text, anchor="middle", fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def series_of_points(series: Sequence[Points]) -> list[Series]:
    """The legend entries of a scatter chart's runs."""
    return [Series(s.name, (), s.color) for s in series]
