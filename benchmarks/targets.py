"""The targets of the benchmark, judged from results.json: met, missed (and by how much), or not
measured in this run. Reported, never asserted by a test: the machine decides the times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks.figures import (
    SHORT_TITLES,
    broken,
    failed,
    field_of,
    fmt_bytes,
    fmt_ratio,
    fmt_seconds,
    mb,
    ran,
    size_of,
)

# squasher's promise holds for these; the classic builder's script form is the documented
# exception (its staging COPY is a layer of its own)
NEVER_LARGER = ("squashed", "squashed_mount", "squashed_stages", "squashed_stages_classic")
STAGES = ("squashed_stages", "squashed_stages_classic")
# node-gyp's original keeps python3, which only its build needs: squasher keeps what the
# original keeps unless it is a known build tool (benchmarks/NOTES.md)
REFERENCE_EXEMPT = frozenset({"node-gyp"})
REFERENCE_RATIO = 1.00  # compared at two decimals, as the tables show it
WARM_EXTRA_SECONDS = 20.0
DEPLOY_EXTRA_BYTES = 1_000_000
ANALYZE_VS_SAVE = 1.1
# below this much reclaimable space (caches, build-only package files) and with no package to
# purge, an original leaves squasher nothing docker-squash cannot drop too
SOMETHING_TO_CLEAN_BYTES = 100_000
# squasher.rewrite in process, median: (instructions, seconds)
REWRITE_SECONDS = ((100, 0.020), (1000, 0.200))


@dataclass(frozen=True)
class Target:
    name: str
    met: bool | None  # None: not measured in this run
    detail: str


def _judge(name: str, misses: list[str], measured: int, unit: str = "images") -> Target:
    if not measured:
        return Target(name, None, "not measured in this run")
    if misses:
        return Target(name, False, f"missed on {len(misses)} of {measured}: {'; '.join(misses)}")
    return Target(name, True, f"met on {measured} {unit}")


def _pairs(
    samples: list[dict[str, Any]], keys: Iterable[str]
) -> Iterable[tuple[dict[str, Any], str]]:
    """The (sample, variant) pairs with an image, but squasher's broken ones (``_failures``
    counts those)."""
    for s in samples:
        for key in keys:
            if size_of(s, key) is not None and not (key.startswith("squashed") and broken(s, key)):
                yield s, key


def _failures(
    samples: list[dict[str, Any]], keys: Iterable[str], exempt: frozenset[str] = frozenset()
) -> tuple[list[str], list[str]]:
    """The variants that were attempted and did not build, and squasher's images whose probe
    failed: misses of every size target (a smaller image that does not work is no win). The
    first have no size, so they add to the images judged; the second are among them."""
    not_built, broken_images = [], []
    for s in samples:
        if s["name"] in exempt:
            continue
        for key in keys:
            if failed(s, key):
                not_built.append(f"{s['name']}/{SHORT_TITLES[key]} did not build")
            elif broken(s, key):
                why = field_of(s, key, "broken_reason") or "its probe failed"
                broken_images.append(f"{s['name']}/{SHORT_TITLES[key]} is broken ({why})")
    return not_built, broken_images


def never_larger(samples: list[dict[str, Any]]) -> Target:
    misses, measured = [], 0
    for s, key in _pairs(samples, NEVER_LARGER):
        original = size_of(s, "original")
        size = size_of(s, key)
        if original is None or size is None:
            continue
        measured += 1
        if size > original:
            misses.append(f"{s['name']}/{SHORT_TITLES[key]} +{fmt_bytes(size - original)}")
    not_built, broken_images = _failures(samples, NEVER_LARGER)
    return _judge(
        "never larger than the original (every squasher variant but classic script, every sample)",
        misses + broken_images + not_built,
        measured + len(not_built) + len(broken_images),
    )


def default_and_stages(default: str = "squashed") -> tuple[str, ...]:
    """The default form (the variant squasher's default strategy builds on BuildKit) and the
    stages form on both builders."""
    return (default, *[k for k in STAGES if k != default])


def at_reference(samples: list[dict[str, Any]], default: str = "squashed") -> Target:
    keys = default_and_stages(default)
    misses, measured = [], 0
    for s, key in _pairs(samples, keys):
        reference, size = size_of(s, "reference"), size_of(s, key)
        if s["name"] in REFERENCE_EXEMPT or reference is None or size is None:
            continue
        measured += 1
        ratio = size / reference
        if round(ratio, 2) > REFERENCE_RATIO:
            misses.append(
                f"{s['name']}/{SHORT_TITLES[key]} {fmt_ratio(ratio)} (+{fmt_bytes(size - reference)})"
            )
    not_built, broken_images = _failures(samples, keys, REFERENCE_EXEMPT)
    return _judge(
        "≤ 1.00x the expert reference, default form and stages, every sample but node-gyp "
        "(documented design choice)",
        misses + broken_images + not_built,
        measured + len(not_built) + len(broken_images),
    )


def something_to_clean(sample: dict[str, Any]) -> bool:
    """Whether squasher has anything docker-squash keeps: a package to purge, or caches and
    build-only files in the original's final filesystem."""
    purged = sample.get("purged")
    reclaimable = field_of(sample, "original", "reclaimable_bytes")
    return bool(purged) or (reclaimable or 0) >= SOMETHING_TO_CLEAN_BYTES


def versus_docker_squash(samples: list[dict[str, Any]], default: str = "squashed") -> Target:
    keys = default_and_stages(default)[:2]  # the default form and stages on BuildKit
    misses, measured, works_where = [], 0, []
    flatten = []
    for s, key in _pairs(samples, keys):
        peer, size = size_of(s, "docker_squash_base"), size_of(s, key)
        if size is not None and size_of(s, "docker_squash") is not None and key == default:
            flatten.append(f"{s['name']} {fmt_ratio(size / (size_of(s, 'docker_squash') or 1))}")
        if peer is None or size is None:
            continue
        measured += 1
        where = f"{s['name']}/{SHORT_TITLES[key]}"
        if broken(s, "docker_squash_base") and broken(s, key) is False:
            works_where.append(where)
        elif size > peer:
            misses.append(f"{where} +{fmt_bytes(size - peer)} ({fmt_ratio(size / peer)})")
        elif size == peer and something_to_clean(s):
            misses.append(f"{where} equal, with something to purge or clean")
    not_built, broken_images = _failures(samples, keys)
    target = _judge(
        "at most base-kept docker-squash's size on every sample, smaller wherever there is "
        "anything to purge or clean (and working where its image does not)",
        misses + broken_images + not_built,
        measured + len(not_built) + len(broken_images),
    )
    detail = target.detail
    if works_where:
        detail += f"; works where docker-squash's image is broken: {', '.join(works_where)}"
    if flatten:
        detail += f". For information, squashed / full-flatten docker-squash: {', '.join(flatten)}"
    return Target(target.name, target.met, detail)


def stages_warm(samples: list[dict[str, Any]]) -> Target:
    misses, measured = [], 0
    for s, key in _pairs(samples, STAGES):
        warm = field_of(s, key, "warm_seconds")
        base = field_of(s, "original", "warm_seconds")
        if warm is None or base is None:
            continue
        measured += 1
        if warm > base + WARM_EXTRA_SECONDS:
            misses.append(
                f"{s['name']}/{SHORT_TITLES[key]} {fmt_seconds(warm)} vs original "
                f"{fmt_seconds(base)} (+{warm - base - WARM_EXTRA_SECONDS:.0f} s over)"
            )
    return _judge("stages: warm rebuild ≤ original's + 20 s", misses, measured)


def stages_deploy(samples: list[dict[str, Any]]) -> Target:
    misses, measured = [], 0
    for s, key in _pairs(samples, STAGES):
        delta = field_of(s, key, "deploy_delta_bytes")
        changed = s.get("touched_bytes")
        if delta is None or changed is None:
            continue
        measured += 1
        allowed = changed + DEPLOY_EXTRA_BYTES
        if delta > allowed:
            misses.append(
                f"{s['name']}/{SHORT_TITLES[key]} {fmt_bytes(delta)} for a {fmt_bytes(changed)} "
                f"file (+{fmt_bytes(delta - allowed)} over)"
            )
    return _judge("stages: deploy delta ≤ the changed files + 1 MB", misses, measured)


def generated_timings(micro: dict[str, Any]) -> list[dict[str, Any]]:
    """The analyze timings of the images made for them (``benchmarks.analyze_speed``), in the
    shape of the run's own images' timings."""
    return [
        {
            **row,
            "which": f"made {row.get('megabytes')} MB",
            "image_sample": "busybox + generated files",
            "size": row.get("image_bytes"),
        }
        for row in micro.get("analyze_generated") or []
    ]


def _timings(results: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The analyze timings and whether they cover the three sizes (older runs: the largest)."""
    micro = results.get("micro") or {}
    timed = micro.get("analyze_at_sizes")
    generated = generated_timings(micro)
    if timed is not None or generated:
        return list(timed or []) + generated, True
    largest = micro.get("analyze_vs_dive")
    return ([largest] if largest else []), False


def _s(value: float) -> str:
    return f"{value:.2f} s"


def _seconds(timing: dict[str, Any], name: str) -> float | None:
    value = (timing.get(name) or {}).get("median_seconds")
    return value if isinstance(value, (int, float)) else None


def analyze_vs_save(results: dict[str, Any]) -> Target:
    name = f"analyze ≤ {ANALYZE_VS_SAVE}x `docker save`'s own time at every size"
    timed, _ = _timings(results)
    misses, measured, shown = [], 0, []
    for t in timed:
        where = f"{t.get('which', 'largest')} ({t.get('image_sample')}, {mb(t.get('size'))} MB)"
        ours, save = _seconds(t, "squasher_analyze"), _seconds(t, "docker_save")
        if ours is None or not save:
            if t.get("error"):  # a size that could not be timed is no size where it was met
                measured += 1
                misses.append(f"{where} not timed: {t['error']}")
            continue
        measured += 1
        shown.append(f"{where} {ours / save:.2f}x")
        if ours > ANALYZE_VS_SAVE * save:
            misses.append(f"{where} {_s(ours)} vs {_s(save)} ({ours / save:.2f}x)")
    target = _judge(name, misses, measured, "sizes")
    if target.met:
        return Target(name, True, f"met at {measured} sizes: {', '.join(shown)}")
    return target


def analyze_vs_dive(results: dict[str, Any]) -> Target:
    name = "analyze faster than dive at every size"
    timed, every_size = _timings(results)
    misses, measured, shown = [], 0, []
    for t in timed:
        where = f"{t.get('which', 'largest')} ({t.get('image_sample')}, {mb(t.get('size'))} MB)"
        ours, dive = _seconds(t, "squasher_analyze"), _seconds(t, "dive_ci")
        if ours is None or dive is None:
            if t.get("error"):  # a size that could not be timed is no size where it was met
                measured += 1
                misses.append(f"{where} not timed: {t['error']}")
            continue
        measured += 1
        shown.append(f"{where} {_s(ours)} vs {_s(dive)}")
        if ours >= dive:
            misses.append(f"{where} {_s(ours)} vs dive {_s(dive)}")
    if not timed:
        return Target(name, None, "not measured in this run")
    if not every_size:
        seen = f": {shown[0]}" if shown else ""
        return Target(name, None, f"not measured at every size (only the largest image{seen})")
    target = _judge(name, misses, measured, "sizes")
    if target.met:
        return Target(name, True, f"met at {measured} sizes: {'; '.join(shown)}")
    return target


def targets(results: dict[str, Any]) -> list[Target]:
    from benchmarks.variants import default_key

    samples = ran(results.get("samples", []))
    default = default_key(results.get("default_strategy"))
    return [
        never_larger(samples),
        at_reference(samples, default),
        versus_docker_squash(samples, default),
        stages_warm(samples),
        stages_deploy(samples),
        analyze_vs_save(results),
        analyze_vs_dive(results),
        *rewrite_speed(results),
    ]


def rewrite_speed(results: dict[str, Any]) -> list[Target]:
    """The rewrite of the generated 100- and 1,000-instruction Dockerfiles, in process."""
    timings = (results.get("micro") or {}).get("rewrite") or []
    out = []
    for instructions, limit in REWRITE_SECONDS:
        timing = next((r for r in timings if r.get("instructions") == instructions), None)
        seconds = ((timing or {}).get("in_process") or {}).get("median_seconds")
        name = f"rewrite of a {instructions:,}-instruction Dockerfile under {limit * 1000:.0f} ms"
        if seconds is None:
            out.append(Target(name, None, "not measured in this run"))
        else:
            out.append(
                Target(name, seconds <= limit, f"{seconds * 1000:.1f} ms in process (median)")
            )
    return out
