"""The micro-benchmarks' lines in RESULTS.md: analyze vs dive vs docker save, rewrite, start-up."""

from __future__ import annotations

from typing import Any

from benchmarks.figures import NOT_MEASURED, fmt_ms, fmt_ratio, fmt_seconds, mb


def _analyze_line(t: dict[str, Any]) -> str:
    """One image's timings: squasher analyze, dive and (newer runs) docker save."""
    save = (t.get("docker_save") or {}).get("median_seconds")
    save_text = (
        f", `docker save` {fmt_seconds(save)} (analyze / save {t.get('analyze_vs_save')})"
        if save is not None
        else ""
    )
    return (
        f"- `squasher analyze --ci` vs `dive --ci` on the {t.get('which', 'largest')} image of "
        f"the run ({t['image_sample']}/{t['image_variant']}, {mb(t['size'])} MB): squasher "
        f"{fmt_seconds(t['squasher_analyze']['median_seconds'])}, dive "
        f"{fmt_seconds(t['dive_ci']['median_seconds'])}{save_text} (medians of "
        f"{len(t['dive_ci']['runs'])} alternated runs): dive's time over squasher's "
        f"{fmt_ratio(t.get('speedup'))}. Efficiency: squasher {t.get('squasher_efficiency')}, dive "
        f"{t.get('dive_efficiency')}; wasted bytes: squasher "
        f"{t.get('squasher_wasted_bytes')}, dive {t.get('dive_wasted_bytes')}."
        + (f" Error: {t['error']}" if t.get("error") else "")
    )


def micro_section(results: dict[str, Any]) -> str:
    micro = results.get("micro") or {}
    lines: list[str] = []
    timed = micro.get("analyze_at_sizes")
    if timed is None and micro.get("analyze_vs_dive"):
        timed = [micro["analyze_vs_dive"]]  # older runs timed the largest image only
    lines += [_analyze_line(t) for t in timed or []]
    if timed is not None and "analyze_at_sizes" not in micro:
        lines.append(f"- `docker save` alone, and the smallest and a median image: {NOT_MEASURED}.")
    generated = micro.get("analyze_generated")
    if generated:
        from benchmarks.analyze_speed import markdown

        lines += [
            "- `squasher analyze` against `docker save` and `dive --ci` on busybox images made "
            "for it (90% of the bytes in 1 MB files, 10% in 1 kB files; medians of "
            f"{len((generated[0].get('docker_save') or {}).get('runs') or [])} alternated runs):",
            "",
            markdown(generated).rstrip("\n"),
            "",
        ]
    for r in micro.get("rewrite") or []:
        lines.append(
            f"- `squasher.rewrite` of a generated {r['instructions']}-instruction Dockerfile: "
            f"{fmt_ms(r['in_process']['median_seconds'])} in process (median), "
            f"`squasher rewrite -o -` {fmt_ms(r['cli']['median_seconds'])} wall."
            + (f" Error: {r['error']}" if r.get("error") else "")
        )
    startup = micro.get("startup")
    if startup:
        lines.append(
            f"- `squasher --help` {fmt_ms(startup['squasher_help']['median_seconds'])}; "
            f"`python -c 'import click'` {fmt_ms(startup['python_import_click']['median_seconds'])}; "
            f"`python -c pass` {fmt_ms(startup['python_bare']['median_seconds'])} (medians)."
        )
    compiled = micro.get("bytecode_compiled")
    if compiled is not None:
        lines.append(
            "- squasher's modules were compiled to bytecode before the timings, as pip does "
            "when it installs a wheel"
            + ("." if compiled else " (some failed to compile: their start-up is slower).")
        )
    return "\n".join(lines) if lines else "Not run (`--skip-micro`)."
