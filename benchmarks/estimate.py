"""How long a run will take, from the figures of earlier runs on this machine (results.json files).

Per sample and variant the time is the cold build plus the warm rebuild as an earlier run
measured them, plus the sample's own overhead per variant (measuring, analysing, probing,
pushing: the sample's wall time less its builds, over its variants). docker-squash builds
nothing: it costs its squash time, twice with deploy deltas (it squashes the warm original too).
A figure no earlier run has is guessed, and the estimate says how many were: a variant's missing
cold build as the slowest cold build of the sample's squasher forms (or the original's), a
stages form's warm rebuild as the original's warm rebuild plus 20 s (its target), any other
warm rebuild as the variant's cold build; a sample no run measured as the median of the
measured samples of its kind (slow or cheap). Estimates, never figures: nothing here goes into
results.json's measurements.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.samples import SLOW, Sample
from benchmarks.variants import Variant

STAGES_WARM_EXTRA = 20.0  # the stages form's warm-rebuild target over the original's
DEFAULT_OVERHEAD = 5.0  # seconds per variant when no earlier run of the sample tells


@dataclass
class SampleEstimate:
    name: str
    seconds: float
    figures: int = 0  # figures taken from an earlier run
    guessed: int = 0  # figures guessed (see the module docstring)
    unmeasured: bool = False  # no earlier run measured this sample at all


@dataclass
class Estimate:
    samples: list[SampleEstimate] = field(default_factory=list)
    micro_seconds: float | None = None
    sources: list[str] = field(default_factory=list)  # "results.json (2026-11-27 21:40)"

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.samples) + (self.micro_seconds or 0.0)

    def lines(self) -> list[str]:
        out = []
        for s in self.samples:
            how = (
                "no earlier figures: the median of its kind"
                if s.unmeasured
                else f"{s.figures} figures measured, {s.guessed} guessed"
            )
            out.append(f"  {s.name}: ~{s.seconds / 60:.1f} min ({how})")
        if self.micro_seconds is not None:
            out.append(f"  micro-benchmarks: ~{self.micro_seconds / 60:.1f} min")
        total = self.seconds / 60
        seen = ", ".join(self.sources) or "no earlier run"
        out.append(f"  total: ~{total:.0f} min (from {seen})")
        return out


def load_history(paths: Iterable[Path]) -> tuple[dict[str, dict[str, Any]], list[str], Any]:
    """The latest figures of each sample over ``paths`` (later files win), the files read, and
    the micro-benchmark results of the last file that has them."""
    by_sample: dict[str, dict[str, Any]] = {}
    sources: list[str] = []
    micro: Any = None
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        sources.append(f"{path.name} ({data.get('started')})")
        for s in data.get("samples", []):
            if not s.get("skipped"):
                by_sample[s["name"]] = s
        if data.get("micro"):
            micro = data["micro"]
    return by_sample, sources, micro


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _field(sample: dict[str, Any], key: str, name: str) -> float | None:
    variant = sample.get(key)
    return _num(variant.get(name)) if isinstance(variant, dict) else None


def _build_costs(s: dict[str, Any], v: Variant) -> tuple[float | None, float | None, bool]:
    """(cold, warm) seconds of one variant as the earlier run spent them (docker-squash: its
    squash time, since the original's build is not repeated), and whether they are borrowed
    from the other docker-squash variant (a guess)."""
    if v.kind == "docker_squash":
        squash = _field(s, v.key, "squash_seconds")
        if squash is not None:
            return squash, squash, False
        other = next((k for k in ("docker_squash", "docker_squash_base") if k != v.key), "")
        squash = _field(s, other, "squash_seconds")
        return squash, squash, squash is not None
    return _field(s, v.key, "build_seconds"), _field(s, v.key, "warm_seconds"), False


def _overhead(s: dict[str, Any]) -> float:
    """The sample's wall time less its builds, per variant it ran."""
    wall = _num(s.get("seconds"))
    keys = [k for k, v in s.items() if isinstance(v, dict) and "build_seconds" in v]
    if wall is None or not keys:
        return DEFAULT_OVERHEAD
    spent = 0.0
    for key in keys:
        if key.startswith("docker_squash"):
            spent += 2 * (_field(s, key, "squash_seconds") or 0.0)
        else:
            spent += (_field(s, key, "build_seconds") or 0.0) + (
                _field(s, key, "warm_seconds") or 0.0
            )
    return max(wall - spent, 0.0) / len(keys)


def estimate_sample(
    s: dict[str, Any], name: str, variants: Sequence[Variant], *, warm: bool, deploy: bool
) -> SampleEstimate:
    out = SampleEstimate(name, 0.0)
    overhead = _overhead(s)
    squashed_colds = [
        _field(s, k, "build_seconds")
        for k in ("original", "squashed", "squashed_mount", "squashed_classic")
    ]
    slowest = max((c for c in squashed_colds if c is not None), default=None)
    for v in variants:
        cold, warm_s, borrowed = _build_costs(s, v)
        if cold is None:
            cold = slowest if v.kind == "squashed" else _field(s, "original", "build_seconds")
            cold = cold or 0.0
            borrowed = True
        out.guessed += borrowed
        out.figures += not borrowed
        total = cold + overhead
        if warm:
            if v.kind == "docker_squash" and not deploy:
                warm_s = 0.0  # without deploy deltas its warm time is computed, not measured
            elif warm_s is None:
                original_warm = _field(s, "original", "warm_seconds")
                if v.strategy == "stages" and original_warm is not None:
                    warm_s = original_warm + STAGES_WARM_EXTRA
                else:
                    warm_s = cold
                out.guessed += 1
            elif borrowed:
                out.guessed += 1
            else:
                out.figures += 1
            total += warm_s
        out.seconds += total
    return out


def _micro_seconds(micro: Any) -> float | None:
    """The analyze timings (every timed run, plus the untimed --json runs) and the rest."""
    if not isinstance(micro, dict):
        return None
    timed = micro.get("analyze_at_sizes")
    if timed is None:
        # older runs timed only the largest image; the two smaller ones cost little more
        timed = [micro["analyze_vs_dive"]] if micro.get("analyze_vs_dive") else []
    seconds = 0.0
    for t in timed:
        for name in ("squasher_analyze", "dive_ci", "docker_save"):
            runs = (t.get(name) or {}).get("runs") or []
            seconds += sum(r for r in runs if isinstance(r, (int, float)))
        for name in ("squasher_analyze", "dive_ci"):
            seconds += _num((t.get(name) or {}).get("median_seconds")) or 0.0
    for item in micro.get("rewrite") or []:
        for timing in item.values():
            if isinstance(timing, dict):
                seconds += sum(r for r in timing.get("runs") or [] if isinstance(r, (int, float)))
    startup = micro.get("startup") or {}
    for timing in startup.values() if isinstance(startup, dict) else []:
        if isinstance(timing, dict):
            seconds += sum(r for r in timing.get("runs") or [] if isinstance(r, (int, float)))
    return seconds


def estimate(
    history_paths: Iterable[Path],
    samples: Sequence[Sample],
    variants: Sequence[Variant],
    *,
    warm: bool,
    deploy: bool,
    micro: bool,
) -> Estimate:
    history, sources, micro_data = load_history(history_paths)
    result = Estimate(sources=sources)
    # every sample an earlier run measured, chosen or not, by kind (slow or cheap)
    known: dict[bool, list[float]] = {True: [], False: []}
    for name, earlier in history.items():
        one = estimate_sample(earlier, name, variants, warm=warm, deploy=deploy)
        known[bool(earlier.get("slow", name in SLOW))].append(one.seconds)
    pending: list[tuple[int, Sample]] = []
    for sample in samples:
        found = history.get(sample.name)
        if found is None:
            pending.append((len(result.samples), sample))
            result.samples.append(SampleEstimate(sample.name, 0.0, unmeasured=True))
            continue
        result.samples.append(
            estimate_sample(found, sample.name, variants, warm=warm, deploy=deploy)
        )
    # samples no run measured: the median of the measured ones of their kind
    every = known[True] + known[False]
    for index, sample in pending:
        pool = known[sample.slow] or every
        result.samples[index].seconds = statistics.median(pool) if pool else 0.0
    if micro:
        result.micro_seconds = _micro_seconds(micro_data)
    return result


def fits(estimated: SampleEstimate, elapsed: float, max_seconds: float | None) -> bool:
    """Whether a sample is expected to finish before the run's time cap."""
    if max_seconds is None or estimated.unmeasured:
        return True
    return elapsed + estimated.seconds <= max_seconds
