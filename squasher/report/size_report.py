"""How ``diff-size`` shows its figures: an aligned table, Markdown, and a self-contained HTML page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from squasher.measure.diff_size import DiffSizeResult, ImageMeasure
from squasher.report import humanize
from squasher.report.rewrite import staging_lines
from squasher.util.units import human_bytes

GREEN = "\x1b[32m"
BOLD = "\x1b[1m"
RESET = "\x1b[0m"


def _opt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _opt_size(value: int | None) -> str:
    return "-" if value is None else human_bytes(value)


def summary_rows(result: DiffSizeResult) -> list[tuple[str, str, str]]:
    o, s = result.original, result.squashed
    return [
        ("size", human_bytes(o.size), human_bytes(s.size)),
        ("layers", str(o.layers), str(s.layers)),
        ("build time", humanize.seconds(o.build_seconds), humanize.seconds(s.build_seconds)),
        ("efficiency", _opt_ratio(o.efficiency), _opt_ratio(s.efficiency)),
        ("wasted", _opt_size(o.wasted_bytes), _opt_size(s.wasted_bytes)),
        ("reclaimable", _opt_size(o.reclaimable_bytes), _opt_size(s.reclaimable_bytes)),
        ("builder", o.builder, s.builder),
    ]


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _layer_rows(measure: ImageMeasure) -> list[tuple[str, str]]:
    rows = []
    for layer in measure.layer_sizes:
        text = " ".join(layer.created_by.split())
        if len(text) > 70:
            text = text[:67] + "..."
        rows.append((human_bytes(layer.size), text))
    return rows


def saved_line(result: DiffSizeResult) -> str:
    return (
        f"saved {human_bytes(result.saved_bytes)} "
        f"({humanize.percent(result.saved_ratio)}): "
        f"{human_bytes(result.original.size)} -> {human_bytes(result.squashed.size)}"
    )


def delta_lines(delta: dict[str, Any], dockerfile: str) -> list[str]:
    """What the stages form's final stage copies, layer by layer, and the base paths it
    removes (a cached build printed no summary: then only the layers' bytes are known)."""
    out = ["delta (the final stage's layers, oldest first):"]
    rows = []
    for layer in delta.get("layers") or []:
        name = str(layer["layer"])
        if name.startswith("copy-"):
            name = f"{name} (what {dockerfile}:{name[5:]} copied)"
        files = "" if layer.get("files") is None else f"{layer['files']} files"
        rows.append((name, human_bytes(int(layer["bytes"])), files))
    out += ["  " + line for line in _table(rows or [("", "", "")], right={1})]
    removed = delta.get("removed")
    if removed:
        shown = ", ".join(removed[:5]) + (
            f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        )
        out.append(f"removed from the base: {shown}")
    return out


def render_table(result: DiffSizeResult, *, colour: bool = False, layers: bool = True) -> str:
    """The human report: summary, per-layer sizes of both images, then what was saved."""
    out = [f"{result.dockerfile} ({result.strategy} strategy, {result.builder})", ""]
    out += _table([("", "original", "squashed"), *summary_rows(result)], right={1, 2})
    if layers:
        for name, measure in (("original", result.original), ("squashed", result.squashed)):
            out += ["", f"{name} layers (oldest first):"]
            out += ["  " + line for line in _table(_layer_rows(measure) or [("", "")], right={0})]
    packages = result.report.get("packages", [])
    purged = [p["package"] for p in packages if p["purged"]]
    if purged:
        out += ["", f"purged: {', '.join(purged)}"]
    for p in result.report.get("protected", []):
        out += [
            f"protected {p['package']}: needed by {p['file']} through {p['needs']} "
            f"(would have been removed at {p['where']})"
        ]
    for line in result.report.get("unanalysed", []):
        out += [f"warning: {line}"]
    for k in result.report.get("kept", []):  # the layers the builder still makes itself
        size = k.get("layer_bytes")
        cost = f": its layer {human_bytes(size)}" if size is not None else ""
        out += [f"kept line {k['line']}: {k['instruction']} ({k['reason']}){cost}"]
    for line in result.report.get("warnings", []):
        if "ONBUILD" in line or "frees nothing" in line:
            out += [f"note: {line}"]
    if result.report and result.strategy in ("script", "mount"):
        out += ["", *staging_lines(result.report)]
    if result.strategy == "stages" and result.report.get("delta"):
        out += ["", *delta_lines(result.report["delta"], result.dockerfile)]
    if result.tag:
        out += [f"squashed image tagged {result.tag}"]
    for which in ("original", "squashed"):
        image = getattr(result, which).image
        if image:
            out += [f"kept {which} image {image}"]
    if result.verify:
        verdict = str(result.verify.get("verdict", "")).removeprefix("summary: ")
        out += ["", f"verify: {verdict}"]
    line = saved_line(result)
    out += ["", f"{BOLD}{GREEN}{line}{RESET}" if colour else line]
    return "\n".join(out) + "\n"


def render_summary(results: Sequence[DiffSizeResult]) -> str:
    """One row per context when several were measured."""
    rows = [("context", "original", "squashed", "saved", "ratio")]
    for r in results:
        rows.append(
            (
                r.context,
                human_bytes(r.original.size),
                human_bytes(r.squashed.size),
                human_bytes(r.saved_bytes),
                humanize.percent(r.saved_ratio),
            )
        )
    return "\n".join(_table(rows, right={1, 2, 3, 4})) + "\n"


def render_markdown(result: DiffSizeResult) -> str:
    lines = [f"### `{result.dockerfile}`", "", "| | original | squashed |", "|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in summary_rows(result)]
    if result.verify:
        verdict = str(result.verify.get("verdict", "")).removeprefix("summary: ")
        lines += ["", f"verify: {verdict}"]
    lines += ["", f"**{saved_line(result)}**", ""]
    return "\n".join(lines)


def _bars(measure: ImageMeasure, scale: float, colour: str) -> str:
    parts = []
    for layer in measure.layer_sizes:
        if layer.size <= 0:
            continue
        width = max(0.5, layer.size / scale * 100)
        title = html.escape(f"{human_bytes(layer.size)}  {layer.created_by}", quote=True)
        parts.append(
            f'<div class="seg" style="width:{width:.2f}%;background:{colour}" title="{title}"></div>'
        )
    return "".join(parts)


def render_html(results: Sequence[DiffSizeResult]) -> str:
    """A self-contained page (no scripts, no external assets): figures and a stacked bar per image."""
    biggest = max([max(r.original.size, r.squashed.size) for r in results] + [1])
    sections = []
    for r in results:
        rows = "".join(
            f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
            for a, b, c in summary_rows(r)
        )
        layer_rows = []
        for name, m in (("original", r.original), ("squashed", r.squashed)):
            for layer in m.layer_sizes:
                layer_rows.append(
                    f"<tr><td>{name}</td><td class=n>{html.escape(human_bytes(layer.size))}</td>"
                    f"<td><code>{html.escape(layer.created_by)}</code></td></tr>"
                )
        sections.append(
            f"""<section>
<h2>{html.escape(r.dockerfile)}</h2>
<p class="saved">{html.escape(saved_line(r))}</p>
<div class="chart">
<div class="row"><span class="label">original</span><div class="bar">{_bars(r.original, biggest, "#d9534f")}</div><span class="val">{html.escape(human_bytes(r.original.size))}</span></div>
<div class="row"><span class="label">squashed</span><div class="bar">{_bars(r.squashed, biggest, "#5cb85c")}</div><span class="val">{html.escape(human_bytes(r.squashed.size))}</span></div>
</div>
<table class="summary"><tr><th></th><th>original</th><th>squashed</th></tr>{rows}</table>
<details><summary>layers</summary><table class="layers">{"".join(layer_rows)}</table></details>
</section>"""
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>squasher diff-size</title>
<style>
body{{font-family:sans-serif;margin:2em;color:#222}}
.chart{{margin:1em 0}} .row{{display:flex;align-items:center;margin:4px 0}}
.label{{width:6em}} .val{{margin-left:.5em;font-variant-numeric:tabular-nums}}
.bar{{display:flex;flex:1;height:28px;background:#f3f3f3}}
.seg{{height:100%;border-right:1px solid #fff;box-sizing:border-box}}
table{{border-collapse:collapse;margin:.5em 0}} td,th{{padding:2px 10px;text-align:left}}
td.n,.summary td{{text-align:right}} .saved{{font-weight:bold;font-size:1.2em}}
code{{font-size:.85em}}
</style></head><body>
<h1>squasher diff-size</h1>
{"".join(sections)}
</body></html>
"""
