"""From results.json to figures people read: ratios, targets, RESULTS.md and the README section.

Everything here is a pure function of the results (no engine), so it is unit-tested and can be
re-run alone (``python -m benchmarks --render-only``). Sizes are shown in MB of 10^6 bytes, as
the docker CLI shows them.
"""

from __future__ import annotations

from typing import Any

from benchmarks.figures import (
    NOT_MEASURED,
    SHORT_TITLES,
    VARIANT_KEYS,
    VARIANT_TITLES,
    failed,
    fmt_bytes,
    fmt_pct,
    fmt_ratio,
    fmt_seconds,
    mb,
    measured_keys,
    ran,
    ratio_of,
    ratios,
    size_of,
)
from benchmarks.report_micro import micro_section
from benchmarks.targets import Target, targets

__all__ = ["VARIANT_KEYS", "VARIANT_TITLES", "Target", "mb", "ratios", "size_of", "targets"]

# the seed's headline and the figures issue 8 measured on a modernised One Love API
SEED_BEFORE, SEED_AFTER, SEED_SAVED = 1_000_000_000, 298_000_000, 0.70
ISSUE_FIGURES = (
    ("line by line (broken: libpq5 purged)", 1_625_000_000),
    ("the seed author's build-script form (same breakage)", 1_541_000_000),
    ("docker-squash", 1_541_000_000),
    ("docker-library recipe", 894_000_000),
    ("same with SuggestsImportant=false (working)", 246_000_000),
)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A Markdown table; ``align`` has one l/r letter per column (default: first l, rest r)."""
    align = align or ("l" + "r" * (len(header) - 1))
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _probe_cell(sample: dict[str, Any], key: str) -> str:
    variant = sample.get(key)
    if not isinstance(variant, dict) or variant.get("size") is None:
        return "did not build" if failed(sample, key) else "—"
    if variant.get("broken") is None:
        return "no probe"
    if variant.get("broken"):
        return "BROKEN (expected)" if variant.get("expected_broken") else "BROKEN"
    return "works"


# ------------------------------------------------------------------------------------ tables


def ratios_table(samples: list[dict[str, Any]]) -> str:
    rows = []
    for s in ran(samples):
        rows.append(
            [
                s["name"],
                fmt_ratio(ratio_of(s, "squashed_vs_reference")),
                fmt_ratio(ratio_of(s, "squashed_stages_vs_reference")),
                fmt_ratio(ratio_of(s, "squashed_vs_docker_squash_base")),
                fmt_ratio(ratio_of(s, "squashed_vs_docker_squash")),
                fmt_pct(ratio_of(s, "saved_ratio")),
                _probe_cell(s, "squashed"),
                _probe_cell(s, "original"),
            ]
        )
    header = [
        "sample",
        "squashed / reference",
        "stages / reference",
        "squashed / docker-squash base kept",
        "squashed / docker-squash flatten",
        "saved vs original",
        "squashed probe",
        "original probe",
    ]
    return _table(header, rows, "lrrrrrll")


def sizes_table(samples: list[dict[str, Any]]) -> str:
    keys = measured_keys(samples)
    rows = [[s["name"], *(mb(size_of(s, k)) for k in keys)] for s in ran(samples)]
    return _table(["size (MB)", *(SHORT_TITLES[k] for k in keys)], rows)


def not_measured_line(samples: list[dict[str, Any]]) -> str:
    """The variants this run has no column for (older runs predate them)."""
    missing = [VARIANT_TITLES[k] for k in VARIANT_KEYS if k not in measured_keys(samples)]
    return f"Not measured in this run: {', '.join(missing)}." if missing else ""


def _per_variant(samples: list[dict[str, Any]], field: str, fmt: Any, title: str) -> str:
    keys = measured_keys(samples)
    rows = []
    for s in ran(samples):
        row = [s["name"]]
        for key in keys:
            variant = s.get(key)
            value = variant.get(field) if isinstance(variant, dict) else None
            row.append(fmt(value))
        rows.append(row)
    table = _table([title, *(SHORT_TITLES[k] for k in keys)], rows)
    note = not_measured_line(samples)
    return f"{table}\n\n{note}" if note else table


def deploy_table(samples: list[dict[str, Any]]) -> str:
    """Per variant: the bytes the registry received on the push after the change."""
    if not any(
        isinstance(s.get(k), dict) and "deploy_delta_bytes" in s[k]
        for s in ran(samples)
        for k in VARIANT_KEYS
    ):
        return f"{NOT_MEASURED.capitalize()} in this run."
    keys = measured_keys(samples)
    rows = []
    for s in ran(samples):
        row = [s["name"], fmt_bytes(s.get("touched_bytes"))]
        for key in keys:
            variant = s.get(key)
            value = variant.get("deploy_delta_bytes") if isinstance(variant, dict) else None
            row.append(fmt_bytes(value))
        rows.append(row)
    return _table(["deploy delta", "changed file", *(SHORT_TITLES[k] for k in keys)], rows)


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


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: NOT_MEASURED}[met]


def targets_table(results: dict[str, Any]) -> str:
    rows = [[t.name, _mark(t.met), t.detail] for t in targets(results)]
    return _table(["target", "status", "measured"], rows, "lll")


# ------------------------------------------------------------------------------------ seed row


def seed_rows(samples: list[dict[str, Any]]) -> str:
    onelove = next((s for s in ran(samples) if s["name"] == "onelove"), None)
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
            *_run_lines(results),
        ]
    )


def _run_lines(results: dict[str, Any]) -> list[str]:
    parts = results.get("parts")
    if not parts:
        return [
            f"- Run: {results.get('started')} → {results.get('finished')} UTC, "
            f"`{results.get('command')}`{_stopped(results.get('incomplete'))}."
        ]
    across = any(part.get("cpu") for part in parts)
    micro_tools = results.get("micro_tools")
    commit = "commit (but the micro-benchmarks)" if micro_tools else "commit"
    where = (
        f"on one engine and {commit}, on machines alike but for the processor (named per "
        "part; each sample's figures come from one part, measured side by side on one machine)"
        if across
        else f"on this machine, engine and {commit}"
    )
    out = [
        f"- Run: in {len(parts)} parts {where} (merged with "
        f"`python -m benchmarks --merge{' --across-machines' if across else ''}`), "
        f"{results.get('started')} → {results.get('finished')} UTC:"
    ]
    if micro_tools:
        out.append(
            f"  The micro-benchmarks (squasher's own speed) ran at commit "
            f"{micro_tools.get('squasher_commit')}, a later one; every sample table is of "
            f"commit {(results.get('tools') or {}).get('squasher_commit')}."
        )
    for number, part in enumerate(parts, start=1):
        micro = ", and the micro-benchmarks" if part.get("micro") else ""
        cpu = f"on {part['cpu']}, " if part.get("cpu") else ""
        out.append(
            f"  {number}. {cpu}{part.get('started')} → {part.get('finished')} UTC, load "
            f"{part.get('load_at_start')} → {part.get('load_at_end')}, "
            f"`{part.get('command')}`: {', '.join(part.get('samples') or []) or 'no sample'}"
            f"{micro}{_stopped(part.get('incomplete'))}."
        )
    return out


def _stopped(incomplete: list[str] | None) -> str:
    """What a run stopped before: it saved each sample it measured whole, and nothing of these."""
    return f" (stopped before {', '.join(incomplete)})" if incomplete else ""


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


def _default_note(results: dict[str, Any]) -> str:
    """Which column is squasher's default form, as the run recorded it."""
    defaults = results.get("default_strategy")
    if not defaults:
        return ""
    from benchmarks.figures import VARIANT_TITLES
    from benchmarks.variants import default_key

    key = default_key(defaults)
    if key == "squashed":
        return " (squasher's default)"
    return f"; squasher's default on BuildKit is {VARIANT_TITLES.get(key, key)}"


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
        f"`squashed` is `squasher rewrite --strategy script` on BuildKit{_default_note(results)}. "
        "A ratio below 1.00x means squasher's image is smaller. Saved is against the original. "
        "docker-squash base kept is `docker-squash -f <the base's top layer id>` (only the "
        "layers the Dockerfile added are squashed, the base layer stays shared, as squasher "
        "keeps it); flatten squashes every layer, the base's too, and is shown for information. "
        "`stages` is squasher's `--strategy stages`.",
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
        not_measured_line(samples),
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
        "original's warm rebuild plus docker-squash run again on it (with deploy deltas; without, the "
        "squash time measured on the cold image). — where a "
        "variant was not rebuilt (`--warm-variants`, or `--max-warm-seconds` for a squashed "
        "image whose script reruns whole: its warm rebuild takes as long as its cold build) or "
        "did not build.",
        "",
        warm_table(samples),
        "",
        "## Deploy delta: bytes the registry received on the push after the change",
        "",
        "Each image is pushed to a loopback registry after its cold build and again after "
        "its warm rebuild; the figure is the size of the blobs (compressed layers, config, "
        "manifest) its repository did not have before the second push. The changed file's "
        "size is the touched file's, after the change.",
        "",
        deploy_table(samples),
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
            targets_table(results),
            "",
            ratios_table(samples),
            "",
            sizes_table(samples),
            "",
            deploy_table(samples),
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
        "the squashed image (script and stages strategies on the classic builder and on "
        "BuildKit, mount strategy on BuildKit), docker-squash applied to the original (the "
        "layers above the base only, and everything flattened), and the expert reference in "
        "`samples/<name>/reference/` — and measures size, layers, cold and warm build time, "
        "the deploy delta (bytes a registry receives on the push after a one-line change), "
        "dive's efficiency and the reclaimable bytes, and runs each sample's probe in every "
        "image. `--samples a,b`, `--skip-slow`, `--variants squashed,reference`, "
        "`--no-warm`, `--no-deploy`; `--estimate` prints how long a run would take, "
        "`--max-minutes N` caps it, `--merge a.json b.json` joins a run made in parts; "
        "`--render-only` rewrites RESULTS.md, the chart and this section from results.json. "
        "Targets are reported, never asserted.\n\n"
    )
    return text.rstrip("\n") + "\n\n" + intro + section + "\n"
