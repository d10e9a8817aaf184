"""From results.json to figures people read: ratios, targets, RESULTS.md and the README section.

Everything here is a pure function of the results (no engine), so it is unit-tested and can be
re-run alone (``python -m benchmarks --render-only``). Sizes are shown in MB of 10^6 bytes, as
the docker CLI shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VARIANT_KEYS = (
    "original",
    "squashed",
    "squashed_classic",
    "squashed_mount",
    "docker_squash",
    "reference",
)
VARIANT_TITLES = {
    "original": "original",
    "squashed": "squashed (script, BuildKit)",
    "squashed_classic": "squashed (script, classic)",
    "squashed_mount": "squashed (mount, BuildKit)",
    "docker_squash": "docker-squash",
    "reference": "expert reference",
}
SHORT_TITLES = {
    "original": "original",
    "squashed": "squashed",
    "squashed_classic": "sq. classic",
    "squashed_mount": "sq. mount",
    "docker_squash": "docker-squash",
    "reference": "reference",
}
# samples whose original ships a build toolchain: the seed's "70% saved" applies to them
TOOLCHAIN_HEAVY = frozenset({"c-make", "c-libpq", "python-psycopg2", "node-gyp", "go", "onelove"})

TARGET_REFERENCE_RATIO = 1.02
TARGET_SAVED = 0.70
TARGET_ANALYZE_SPEEDUP = 2.0
# squasher.rewrite in process, median: (instructions, seconds)
TARGET_REWRITE_SECONDS = ((100, 0.020), (1000, 0.200))
TARGET_HELP_SECONDS = 0.3

# the seed's headline, and the figures measured earlier on a modernised One Love API
SEED_BEFORE, SEED_AFTER, SEED_SAVED = 1_000_000_000, 298_000_000, 0.70
ISSUE_FIGURES = (
    ("line by line (broken: libpq5 purged)", 1_625_000_000),
    ("the seed author's build-script form (same breakage)", 1_541_000_000),
    ("docker-squash", 1_541_000_000),
    ("docker-library recipe", 894_000_000),
    ("same with SuggestsImportant=false (working)", 246_000_000),
)


def size_of(sample: dict[str, Any], key: str) -> int | None:
    variant = sample.get(key)
    if not isinstance(variant, dict):
        return None
    size = variant.get("size")
    return size if isinstance(size, int) and size > 0 else None


def _ratio(a: int | None, b: int | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def ratios(sample: dict[str, Any]) -> dict[str, float | None]:
    """The ratios RESULTS.md shows first, from one sample's results."""
    squashed = size_of(sample, "squashed")
    original = size_of(sample, "original")
    saved = round(1 - squashed / original, 4) if squashed is not None and original else None
    return {
        "squashed_vs_reference": _ratio(squashed, size_of(sample, "reference")),
        "squashed_vs_docker_squash": _ratio(squashed, size_of(sample, "docker_squash")),
        "squashed_classic_vs_reference": _ratio(
            size_of(sample, "squashed_classic"), size_of(sample, "reference")
        ),
        "squashed_mount_vs_reference": _ratio(
            size_of(sample, "squashed_mount"), size_of(sample, "reference")
        ),
        "docker_squash_vs_reference": _ratio(
            size_of(sample, "docker_squash"), size_of(sample, "reference")
        ),
        "saved_ratio": saved,
    }


def mb(size: int | None) -> str:
    if size is None:
        return "—"
    value = size / 1e6
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def fmt_pct(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.0f}%"
    return "0%" if text == "-0%" else text


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A Markdown table; ``align`` has one l/r letter per column (default: first l, rest r)."""
    align = align or ("l" + "r" * (len(header) - 1))
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _ran(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if not s.get("skipped")]


def _probe_cell(sample: dict[str, Any], key: str) -> str:
    variant = sample.get(key)
    if not isinstance(variant, dict) or variant.get("size") is None:
        return "—"
    if variant.get("broken") is None:
        return "no probe"
    if variant.get("broken"):
        return "BROKEN (expected)" if variant.get("expected_broken") else "BROKEN"
    return "works"


# ------------------------------------------------------------------------------------ tables


def ratios_table(samples: list[dict[str, Any]]) -> str:
    rows = []
    for s in _ran(samples):
        r = s.get("ratios") or ratios(s)
        rows.append(
            [
                s["name"],
                fmt_ratio(r.get("squashed_vs_reference")),
                fmt_ratio(r.get("squashed_vs_docker_squash")),
                fmt_pct(r.get("saved_ratio")),
                _probe_cell(s, "squashed"),
                _probe_cell(s, "original"),
            ]
        )
    header = [
        "sample",
        "squashed / reference",
        "squashed / docker-squash",
        "saved vs original",
        "squashed probe",
        "original probe",
    ]
    return _table(header, rows, "lrrrll")


def sizes_table(samples: list[dict[str, Any]]) -> str:
    rows = [[s["name"], *(mb(size_of(s, k)) for k in VARIANT_KEYS)] for s in _ran(samples)]
    return _table(["size (MB)", *(SHORT_TITLES[k] for k in VARIANT_KEYS)], rows)


def _per_variant(samples: list[dict[str, Any]], field: str, fmt: Any, title: str) -> str:
    rows = []
    for s in _ran(samples):
        row = [s["name"]]
        for key in VARIANT_KEYS:
            variant = s.get(key)
            value = variant.get(field) if isinstance(variant, dict) else None
            row.append(fmt(value))
        rows.append(row)
    return _table([title, *(SHORT_TITLES[k] for k in VARIANT_KEYS)], rows)


def layers_table(samples: list[dict[str, Any]]) -> str:
    return _per_variant(samples, "layers", lambda v: "—" if v is None else str(v), "layers")


def cold_table(samples: list[dict[str, Any]]) -> str:
    return _per_variant(samples, "build_seconds", fmt_seconds, "cold build")


def warm_table(samples: list[dict[str, Any]]) -> str:
    return _per_variant(samples, "warm_seconds", fmt_seconds, "warm rebuild")


def efficiency_table(samples: list[dict[str, Any]]) -> str:
    def fmt(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}"

    return _per_variant(samples, "efficiency", fmt, "dive efficiency")


def reclaimable_table(samples: list[dict[str, Any]]) -> str:
    return _per_variant(samples, "reclaimable_bytes", mb, "reclaimable (MB)")


# ------------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    name: str
    met: bool | None  # None: not measured in this run
    detail: str


def targets(results: dict[str, Any]) -> list[Target]:
    samples = _ran(results.get("samples", []))
    out: list[Target] = []

    misses, measured = [], 0
    for s in samples:
        r = (s.get("ratios") or ratios(s)).get("squashed_vs_reference")
        if r is None:
            continue
        measured += 1
        if r > TARGET_REFERENCE_RATIO:
            extra = (size_of(s, "squashed") or 0) - (size_of(s, "reference") or 0)
            misses.append(f"{s['name']} {r:.2f}x (+{mb(extra)} MB)")
    out.append(
        Target(
            f"squashed ≤ {TARGET_REFERENCE_RATIO}x the expert reference on every sample",
            None if not measured else not misses,
            f"missed on {', '.join(misses)}" if misses else f"met on {measured} samples",
        )
    )

    misses, measured, broken_peer = [], 0, []
    for s in samples:
        r = (s.get("ratios") or ratios(s)).get("squashed_vs_docker_squash")
        if r is None:
            continue
        measured += 1
        if r >= 1:
            if _broken(s, "docker_squash") and _broken(s, "squashed") is False:
                # a smaller image that does not work is no win: squasher's works
                broken_peer.append(s["name"])
                continue
            extra = (size_of(s, "squashed") or 0) - (size_of(s, "docker_squash") or 0)
            misses.append(f"{s['name']} {r:.2f}x (+{mb(extra)} MB)")
    detail = f"not smaller on {', '.join(misses)}" if misses else f"met on {measured} samples"
    if broken_peer:
        detail += (
            f"; docker-squash's image is smaller but broken on {', '.join(broken_peer)} "
            "(its probe fails; squasher's works)"
        )
    out.append(
        Target(
            "squashed smaller than docker-squash on every sample",
            None if not measured else not misses,
            detail,
        )
    )

    misses, measured = [], 0
    for s in samples:
        if s["name"] not in TOOLCHAIN_HEAVY:
            continue
        saved = (s.get("ratios") or ratios(s)).get("saved_ratio")
        if saved is None:
            continue
        measured += 1
        if saved < TARGET_SAVED:
            misses.append(f"{s['name']} {fmt_pct(saved)}")
    out.append(
        Target(
            f"≥ {fmt_pct(TARGET_SAVED)} saved on the toolchain-heavy samples",
            None if not measured else not misses,
            f"missed on {', '.join(misses)}" if misses else f"met on {measured} samples",
        )
    )

    broken = []
    measured = 0
    for s in samples:
        for key in ("squashed", "squashed_classic", "squashed_mount"):
            variant = s.get(key)
            if isinstance(variant, dict) and variant.get("broken") is not None:
                measured += 1
                if variant["broken"]:
                    broken.append(f"{s['name']}/{key}")
    out.append(
        Target(
            "every squashed image passes its sample's probe",
            None if not measured else not broken,
            f"broken: {', '.join(broken)}" if broken else f"{measured} squashed images work",
        )
    )

    micro = results.get("micro") or {}
    avd = micro.get("analyze_vs_dive") or {}
    speedup = avd.get("speedup")
    out.append(
        Target(
            f"analyze ≥ {TARGET_ANALYZE_SPEEDUP:.0f}x faster than dive on the largest image",
            None if speedup is None else speedup >= TARGET_ANALYZE_SPEEDUP,
            "not measured"
            if speedup is None
            else (
                f"{speedup:.2f}x (squasher {fmt_seconds(avd['squasher_analyze']['median_seconds'])}, "
                f"dive {fmt_seconds(avd['dive_ci']['median_seconds'])})"
            ),
        )
    )

    for instructions, limit in TARGET_REWRITE_SECONDS:
        timing = next(
            (r for r in micro.get("rewrite") or [] if r.get("instructions") == instructions), None
        )
        seconds = (timing or {}).get("in_process", {}).get("median_seconds")
        out.append(
            Target(
                f"rewrite of a {instructions:,}-instruction Dockerfile under {fmt_ms(limit)}",
                None if seconds is None else seconds <= limit,
                "not measured"
                if seconds is None
                else f"{fmt_ms(seconds)} in process (median); the CLI's wall time includes start-up",
            )
        )

    startup = micro.get("startup") or {}
    help_s = (startup.get("squasher_help") or {}).get("median_seconds")
    click_s = (startup.get("python_import_click") or {}).get("median_seconds")
    out.append(
        Target(
            f"`squasher --help` under {TARGET_HELP_SECONDS} s",
            None if help_s is None else help_s < TARGET_HELP_SECONDS,
            "not measured"
            if help_s is None
            else f"{help_s:.2f} s median; `python -c 'import click'` {click_s:.2f} s on the same machine",
        )
    )
    return out


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def targets_table(results: dict[str, Any]) -> str:
    rows = [[t.name, _mark(t.met), t.detail] for t in targets(results)]
    return _table(["target", "status", "measured"], rows, "lll")


# ------------------------------------------------------------------------------------ seed row


def seed_rows(samples: list[dict[str, Any]]) -> str:
    onelove = next((s for s in _ran(samples) if s["name"] == "onelove"), None)
    rows = [
        [
            "seed's claim (One Love API, its README)",
            mb(SEED_BEFORE),
            mb(SEED_AFTER),
            f"−{fmt_pct(SEED_SAVED)}",
            "—",
        ]
    ]
    if onelove is not None:
        original, squashed = size_of(onelove, "original"), size_of(onelove, "squashed")
        saved = (onelove.get("ratios") or ratios(onelove)).get("saved_ratio")
        rows.append(
            [
                "measured here: samples/onelove, original → squashed",
                mb(original),
                mb(squashed),
                "—" if saved is None else f"−{fmt_pct(saved)}",
                f"original {_probe_cell(onelove, 'original')}, squashed {_probe_cell(onelove, 'squashed')}",
            ]
        )
        for key in ("docker_squash", "reference"):
            size = size_of(onelove, key)
            cut = None if size is None or not original else 1 - size / original
            rows.append(
                [
                    f"measured here: onelove {VARIANT_TITLES[key]}",
                    mb(original),
                    mb(size),
                    "—" if cut is None else f"−{fmt_pct(cut)}",
                    _probe_cell(onelove, key),
                ]
            )
    for what, size in ISSUE_FIGURES:
        rows.append([f"issue 8, measured earlier: {what}", "—", mb(size), "—", "—"])
    return _table(["One Love API", "before (MB)", "after (MB)", "saved", "works?"], rows, "lrrrl")


# ------------------------------------------------------------------------------------ micro


def micro_section(results: dict[str, Any]) -> str:
    micro = results.get("micro") or {}
    lines: list[str] = []
    avd = micro.get("analyze_vs_dive")
    if avd:
        lines.append(
            f"- `squasher analyze --ci` vs `dive --ci` on the largest image of the run "
            f"({avd['image_sample']}/{avd['image_variant']}, {mb(avd['size'])} MB): squasher "
            f"{fmt_seconds(avd['squasher_analyze']['median_seconds'])}, dive "
            f"{fmt_seconds(avd['dive_ci']['median_seconds'])} (medians of "
            f"{len(avd['dive_ci']['runs'])} alternated runs) → {fmt_ratio(avd.get('speedup'))}. "
            f"Efficiency: squasher {avd.get('squasher_efficiency')}, dive "
            f"{avd.get('dive_efficiency')}; wasted bytes: squasher "
            f"{avd.get('squasher_wasted_bytes')}, dive {avd.get('dive_wasted_bytes')}."
            + (f" Error: {avd['error']}" if avd.get("error") else "")
        )
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
    return "\n".join(lines) if lines else "Not run (`--skip-micro`)."


# ------------------------------------------------------------------------------------ documents


def _load_note(m: dict[str, Any]) -> str:
    """The load average around the run, when it was recorded: a loaded machine's times are noisy."""
    start, end = m.get("load_at_start"), m.get("load_at_end")
    if start is None or end is None:
        return ""
    note = f" Load average (1 min): {start:.2f} at the start, {end:.2f} at the end"
    cores = m.get("cores") or 1
    if max(start, end) > cores:
        return note + ": other work shared the machine, times are noisy."
    return note + "."


def _broken(sample: dict[str, Any], key: str) -> bool | None:
    """Whether a variant's probe failed (None: not probed or not built)."""
    variant = sample.get(key)
    if not isinstance(variant, dict) or variant.get("broken") is None:
        return None
    return bool(variant["broken"])


def environment_lines(results: dict[str, Any]) -> str:
    m = results.get("machine") or {}
    e = results.get("engine") or {}
    t = results.get("tools") or {}
    memory = m.get("memory_bytes")
    mem = f"{memory / 2**30:.0f} GiB RAM" if memory else "RAM unknown"
    return "\n".join(
        [
            f"- Machine: {m.get('cpu')}, {m.get('cores')} cores, {mem}, Linux {m.get('kernel')}, "
            f"Python {m.get('python')}.{_load_note(m)}",
            f"- Engine: dockerd {e.get('version')} (API {e.get('api_version')}, storage driver "
            f"{e.get('storage_driver')}); classic builds through the docker SDK, BuildKit through "
            f"`{e.get('buildkit_cli')}`.",
            f"- Tools: squasher {t.get('squasher')} at commit {t.get('squasher_commit')}, "
            f"docker-squash {t.get('docker_squash')}, {t.get('dive')}.",
            f"- Run: {results.get('started')} → {results.get('finished')} UTC, "
            f"`{results.get('command')}`.",
        ]
    )


def skipped_lines(samples: list[dict[str, Any]]) -> str:
    lines = []
    for s in samples:
        if s.get("skipped"):
            lines.append(f"- {s['name']}: not run — {s['skipped']}")
        if s.get("missing"):
            lines.append(f"- {s['name']}: sample incomplete, missing {', '.join(s['missing'])}")
        for key in VARIANT_KEYS:
            variant = s.get(key)
            if isinstance(variant, dict) and variant.get("error"):
                lines.append(f"- {s['name']}/{key}: {variant['error']}")
            if isinstance(variant, dict) and variant.get("broken"):
                why = variant.get("broken_reason") or ""
                expected = " (the sample documents this)" if variant.get("expected_broken") else ""
                lines.append(f"- {s['name']}/{key} is broken{expected}: {why}")
    return "\n".join(lines) if lines else "None."


def results_md(results: dict[str, Any], notes: str = "") -> str:
    samples = results.get("samples", [])
    parts = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks` from `benchmarks/results.json`; do not edit by hand "
        "(hand-written analysis lives in `benchmarks/NOTES.md` and is appended below).",
        "",
        environment_lines(results),
        "",
        "## Ratios first",
        "",
        "`squashed` is `squasher rewrite` with its defaults (script strategy, BuildKit). "
        "A ratio below 1.00x means squasher's image is smaller. Saved is against the original.",
        "",
        ratios_table(samples),
        "",
        "## Targets",
        "",
        targets_table(results),
        "",
        "## The seed's claim",
        "",
        seed_rows(samples),
        "",
        "## Sizes",
        "",
        "![image sizes per sample and variant](chart.svg)",
        "",
        sizes_table(samples),
        "",
        "## Layers",
        "",
        layers_table(samples),
        "",
        "## Cold build (no cache)",
        "",
        "docker-squash's time is the original's build plus the squash. Squashed variants "
        "include the rewrite.",
        "",
        cold_table(samples),
        "",
        "## Warm rebuild after changing one source file",
        "",
        "One newline appended to the sample's first source file (the `touched` field of "
        "results.json), then rebuilt with the cache of the cold build. docker-squash: the "
        "original's warm rebuild plus the squash time measured on the cold image. — where a "
        "variant was not rebuilt (`--warm-variants`, or `--max-warm-seconds` for a squashed "
        "image whose script reruns whole: its warm rebuild takes as long as its cold build) or "
        "did not build.",
        "",
        warm_table(samples),
        "",
        "## dive efficiency (squasher analyze's figure, equal to dive's)",
        "",
        efficiency_table(samples),
        "",
        "## Reclaimable bytes dive cannot see (squasher analyze)",
        "",
        reclaimable_table(samples),
        "",
        "## Micro-benchmarks",
        "",
        micro_section(results),
        "",
        "## Broken, failed, skipped or incomplete",
        "",
        skipped_lines(samples),
        "",
    ]
    if notes.strip():
        parts += [notes.strip(), ""]
    return "\n".join(parts)


README_START = "<!-- benchmark:start (written by python -m benchmarks) -->"
README_END = "<!-- benchmark:end -->"


def readme_section(results: dict[str, Any]) -> str:
    samples = results.get("samples", [])
    e = results.get("engine") or {}
    m = results.get("machine") or {}
    return "\n".join(
        [
            README_START,
            f"Measured on dockerd {e.get('version')}, {m.get('cores')} cores "
            f"({results.get('finished')} UTC); full tables, targets and notes in "
            "[benchmarks/RESULTS.md](benchmarks/RESULTS.md), raw figures in "
            "[benchmarks/results.json](benchmarks/results.json).",
            "",
            ratios_table(samples),
            "",
            sizes_table(samples),
            "",
            "![image sizes per sample and variant](benchmarks/chart.svg)",
            README_END,
        ]
    )


def update_readme(text: str, section: str) -> str:
    """Replace the marked section of the README, or append a "## Benchmark" section at the end."""
    start, end = text.find(README_START), text.find(README_END)
    if start != -1 and end != -1 and end > start:
        return text[:start] + section + text[end + len(README_END) :]
    intro = (
        "## Benchmark\n\n"
        "`python -m benchmarks` builds every sample side by side on one engine — the original, "
        "the squashed image (script strategy on the classic builder and on BuildKit, mount "
        "strategy on BuildKit), docker-squash applied to the original, and the expert reference "
        "in `samples/<name>/reference/` — and measures size, layers, cold and warm build time, "
        "dive's efficiency and the reclaimable bytes, and runs each sample's probe in every "
        "image. `--samples a,b`, `--skip-slow`, `--variants squashed,reference`, "
        "`--max-minutes N`, `--no-warm`; `--render-only` rewrites RESULTS.md, the chart and this "
        "section from results.json. Targets are reported, never asserted.\n\n"
    )
    return text.rstrip("\n") + "\n\n" + intro + section + "\n"
