"""An SVG chart of image sizes per sample and variant, written by hand (no plotting library).

Horizontal grouped bars: one group per sample, one bar per variant, a common linear MB axis
with grid lines, the size printed at the end of each bar, a BROKEN mark on images whose probe
failed. The output is deterministic: the same results give the same bytes.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

from benchmarks.report import VARIANT_KEYS, VARIANT_TITLES, mb, size_of

COLOURS = {
    "original": "#9e9e9e",
    "squashed": "#1565c0",
    "squashed_classic": "#42a5f5",
    "squashed_mount": "#26a69a",
    "squashed_stages": "#2e7d32",
    "squashed_stages_classic": "#81c784",
    "docker_squash_base": "#ffa726",
    "docker_squash": "#ef6c00",
    "reference": "#6a1b9a",
}
WIDTH = 960
LEFT = 130  # sample names
RIGHT = 150  # room for the value labels
BAR = 11
GAP = 2
GROUP_GAP = 14
TOP = 64
TITLE = "Image size per sample and variant (MB, as docker reports it)"


def nice_step(maximum: float, ticks: int = 6) -> float:
    """A round grid step (1, 2 or 5 times a power of ten) giving about ``ticks`` lines."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def _legend(keys: list[str]) -> list[list[tuple[float, str]]]:
    """The legend's entries (x, key), in rows that fit the chart's width."""
    rows: list[list[tuple[float, str]]] = [[]]
    lx = float(LEFT)
    for key in keys:
        width = 22 + 5.8 * len(VARIANT_TITLES[key])
        if rows[-1] and lx + width > WIDTH:
            rows.append([])
            lx = float(LEFT)
        rows[-1].append((lx, key))
        lx += width
    return rows


def render_svg(results: dict[str, Any]) -> str:
    samples = [s for s in results.get("samples", []) if not s.get("skipped")]
    keys = [k for k in VARIANT_KEYS if any(size_of(s, k) for s in samples)] or list(VARIANT_KEYS)
    sizes = [size_of(s, k) or 0 for s in samples for k in keys]
    top_mb = max(sizes, default=0) / 1e6
    step = nice_step(top_mb)
    axis_mb = step * max(1, -(-top_mb // step))
    plot_w = WIDTH - LEFT - RIGHT
    group_h = len(keys) * (BAR + GAP) - GAP
    legend = _legend(keys)
    top = TOP + 16 * (len(legend) - 1)
    height = top + len(samples) * (group_h + GROUP_GAP) + 40

    def x_of(size_mb: float) -> float:
        return LEFT + plot_w * size_mb / axis_mb if axis_mb else LEFT

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        _text(LEFT, 18, TITLE, font_size="14", font_weight="bold"),
    ]
    for row, entries in enumerate(legend):
        ly = 30 + 16 * row
        for lx, key in entries:
            out.append(
                f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" fill="{COLOURS[key]}"/>'
            )
            out.append(_text(lx + 16, ly + 10, VARIANT_TITLES[key]))
    # grid
    bottom = height - 30
    tick = 0.0
    while tick <= axis_mb + 1e-9:
        x = x_of(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" stroke="#e0e0e0"/>'
        )
        out.append(_text(x, bottom + 14, f"{tick:,.0f}", text_anchor="middle", fill="#555"))
        tick += step
    # bars
    y = float(top)
    for s in samples:
        out.append(
            _text(LEFT - 8, y + group_h / 2 + 4, s["name"], text_anchor="end", font_weight="bold")
        )
        for key in keys:
            size = size_of(s, key)
            variant = s.get(key) if isinstance(s.get(key), dict) else {}
            if size is not None:
                w = max(x_of(size / 1e6) - LEFT, 1.0)
                out.append(
                    f'<rect x="{LEFT}" y="{y:.1f}" width="{w:.1f}" height="{BAR}" '
                    f'fill="{COLOURS[key]}"><title>{escape(s["name"])} '
                    f"{escape(VARIANT_TITLES[key])}: {mb(size)} MB</title></rect>"
                )
                label = f"{mb(size)} MB"
                if variant.get("broken"):
                    label += " BROKEN"
                out.append(_text(LEFT + w + 4, y + BAR - 2, label, fill="#333"))
            else:
                out.append(_text(LEFT + 4, y + BAR - 2, "not built", fill="#999"))
            y += BAR + GAP
        y += GROUP_GAP - GAP
    out.append(f'<line x1="{LEFT}" y1="{top - 6}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
