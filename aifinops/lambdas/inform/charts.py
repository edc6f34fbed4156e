"""Static SVG charts for the HTML report: no script, no external resource, text escaped.

Hand-written on purpose: the functions run with stdlib and boto3 only (a charting library would have to be
bundled into every asset), and two chart kinds (stacked weekly columns, horizontal bars) need ~100 lines.
Every chart has a <title> and each bar one too, so screen readers and the tests can read what is drawn.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
OTHER_COLOUR = "#c7c7c7"
MAX_SERIES = len(PALETTE)  # more series than colours: the smallest are drawn together as "other"


def _money(value: float) -> str:
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def stacked_columns(title: str, labels: list[str], series: dict[str, list[float]], *, width: int = 640,
                    height: int = 280) -> str:
    """One column per label (a week), stacked by series (projects or models), with a legend."""
    series = _top(series)
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max(totals, default=0) or 1.0
    left, bottom, plot_h = 70, 40, height - 80
    step = (width - left - 160) / max(len(labels), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 150}" y2="{height - bottom}" stroke="#333"/>',
             f'<text x="{left - 6}" y="{height - bottom - plot_h + 4}" font-size="11" text-anchor="end">'
             f'{escape(_money(top))}</text>',
             f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end">$0</text>']
    for i, label in enumerate(labels):
        x, y = left + i * step + step * 0.15, float(height - bottom)
        for j, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / top
            if h <= 0:
                continue
            y -= h
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                         f'fill="{_colour(j, name)}"><title>{escape(f"{label} {name}: {_money(values[i])}")}'
                         f'</title></rect>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts += _legend(list(series), width - 140, 40)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(title: str, values: dict[str, float], *, width: int = 640) -> str:
    """One bar per name, largest first (negative values drawn as zero-length bars with their label)."""
    rows = sorted(values.items(), key=lambda kv: -kv[1])[:15]
    top = max((v for _, v in rows), default=0) or 1.0
    height, left, row_h = 40 + 24 * max(len(rows), 1), 160, 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="4" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (name, value) in enumerate(rows):
        y = 30 + i * row_h
        w = max(0.0, (width - left - 90) * value / top)
        parts.append(f'<text x="{left - 6}" y="{y + 15}" font-size="12" text-anchor="end"><title>{escape(name)}'
                     f'</title>{escape(_short(name))}</text>')
        parts.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(f"{name}: {_money(value)}")}</title></rect>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">{escape(_money(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _short(name: str, limit: int = 22) -> str:
    """A label that fits its column; the whole name stays in the element's <title>."""
    return name if len(name) <= limit else name[:limit - 1] + "\u2026"


def _top(series: dict[str, list[float]]) -> dict[str, list[float]]:
    ranked = sorted(series.items(), key=lambda kv: -sum(kv[1]))
    if len(ranked) <= MAX_SERIES:
        return dict(ranked)
    kept, rest = ranked[:MAX_SERIES - 1], ranked[MAX_SERIES - 1:]
    other = [sum(values[i] for _, values in rest) for i in range(len(rest[0][1]))]
    return {**dict(kept), f"other ({len(rest)})": other}


def _colour(index: int, name: str) -> str:
    return OTHER_COLOUR if name.startswith("other (") else PALETTE[index % len(PALETTE)]


def _legend(names: list[str], x: int, y: int) -> list[str]:
    out = []
    for i, name in enumerate(names):
        out.append(f'<rect x="{x}" y="{y + i * 18}" width="12" height="12" fill="{_colour(i, name)}"/>')
        out.append(f'<text x="{x + 18}" y="{y + i * 18 + 11}" font-size="12"><title>{escape(name)}</title>'
                   f'{escape(_short(name, 20))}</text>')
    return out
