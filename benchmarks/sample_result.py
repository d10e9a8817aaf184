"""One sample's results as results.json holds them, and the judging of its probes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.engine_run import VariantResult
from benchmarks.samples import Sample


@dataclass
class SampleResult:
    name: str
    readme: str = ""
    slow: bool = False
    missing: list[str] = field(default_factory=list)
    touched: str | None = None  # the file changed before the warm rebuilds
    skipped: str | None = None  # why the sample was not run
    variants: dict[str, VariantResult] = field(default_factory=dict)
    rewrite_warnings: list[str] = field(default_factory=list)
    purged: list[str] | None = None  # the packages the default rewrite purges
    touched_bytes: int | None = None  # the changed file's size, after the change
    seconds: float | None = None  # wall time of the whole sample

    def to_json(self) -> dict[str, Any]:
        from benchmarks.report import ratios

        data: dict[str, Any] = {
            "name": self.name,
            "readme": self.readme,
            "slow": self.slow,
            "missing": self.missing,
            "touched": self.touched,
            "skipped": self.skipped,
            "seconds": self.seconds,
        }
        for key, result in self.variants.items():
            data[key] = result.to_json()
        data["ratios"] = ratios(data)
        data["rewrite_warnings"] = self.rewrite_warnings
        data["purged"] = self.purged
        data["touched_bytes"] = self.touched_bytes
        return data


def judge_probes(result: SampleResult, sample: Sample) -> None:
    """Mark each variant broken or not by comparing its probe with the expected output.

    The expected output is the reference's when the reference works, else the original's when
    the sample does not document the original as broken. A variant is broken when its probe
    fails or prints something else."""
    if sample.probe is None:
        return
    variants = result.variants
    expected: str | None = None
    ref = variants.get("reference")
    orig = variants.get("original")
    if ref is not None and ref.probe_status == 0:
        expected = ref.probe_output
    elif orig is not None and orig.probe_status == 0 and sample.original_fails_with is None:
        expected = orig.probe_output
    for key, out in variants.items():
        if out.size is None:
            continue
        if key == "original" and sample.original_fails_with is not None:
            out.expected_broken = True
        if out.probe_status != 0:
            out.broken = True
            tail = (out.probe_output or "").strip().splitlines()[-1:] or [""]
            out.broken_reason = f"probe exits {out.probe_status}: {tail[0][:200]}"
        elif expected is not None and out.probe_output != expected:
            out.broken = True
            out.broken_reason = "probe output differs from the expected output"
        else:
            out.broken = False
