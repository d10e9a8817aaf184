"""One benchmark run: every selected sample, every variant, built sequentially on one engine.

Per sample the sample is copied to a temporary directory (the repository is never written to),
every variant is built cold (no cache), measured, analysed and probed; then one source file is
changed and every variant is rebuilt warm (with the cache of the cold build). All images the
sample made are removed before the next sample starts, except the largest image of the run,
kept until the micro-benchmarks have timed ``squasher analyze`` against ``dive`` on it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.engine_run import (
    Built,
    VariantResult,
    analyze_into,
    build_image,
    measure_into,
    remove_images,
    run_docker_squash,
    run_probe,
    tag_for,
)
from benchmarks.samples import Sample
from benchmarks.variants import Variant

if TYPE_CHECKING:
    import docker

Log = Callable[[str], None]


def stderr_log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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
        return data


@dataclass
class Options:
    warm: bool = True
    warm_variants: frozenset[str] | None = None  # None: every variant built cold
    analyze: bool = True
    keep_largest: bool = True
    deadline: float | None = None  # time.monotonic() after which no build starts
    # a squashed image's warm rebuild reruns its whole script (any staged file changed); when
    # its cold build took longer than this, it is not rebuilt and the warm time is left empty
    max_warm_seconds: float | None = None


@dataclass
class Kept:
    """The largest image of the run so far, kept for the analyze-vs-dive timing."""

    size: int = -1
    ref: str | None = None
    sample: str = ""
    variant: str = ""


def _copy_context(src: Path, dest: Path, *, skip_reference: bool) -> None:
    def ignore(directory: str, names: list[str]) -> list[str]:
        if skip_reference and Path(directory) == src:
            return [n for n in names if n in ("reference", ".squasher")]
        return [n for n in names if n == ".squasher"]

    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def _touch(path: Path) -> bool:
    """Change the file's content (one more newline at the end): True when it exists."""
    if not path.is_file():
        return False
    with path.open("ab") as fileobj:
        fileobj.write(b"\n")
    return True


class SampleRun:
    """The builds of one sample; ``images`` lists every ref to remove afterwards."""

    def __init__(
        self,
        client: docker.DockerClient,
        sample: Sample,
        variants: list[Variant],
        options: Options,
        workdir: Path,
        log: Log,
    ) -> None:
        self.client = client
        self.sample = sample
        self.variants = variants
        self.options = options
        self.workdir = workdir
        self.log = log
        self.images: list[str] = []
        self.context = workdir / "context"
        self.reference = workdir / "reference"
        self.result = SampleResult(
            sample.name, sample.readme, sample.slow, sample.missing(), sample.touch_file()
        )
        self.cold: dict[str, Built] = {}

    # -- building

    def _build(self, variant: Variant, phase: str) -> Built:
        tag = tag_for(self.sample.name, variant.key, phase)
        self.images.append(tag)
        nocache = phase == "cold"
        out = self.result.variants[variant.key]
        if variant.kind == "original":
            built = build_image(
                self.client,
                self.context,
                self.context / "Dockerfile",
                builder=variant.builder,
                tag=tag,
                nocache=nocache,
                log=self.log,
            )
        elif variant.kind == "reference":
            if self.sample.reference is None:
                raise _Missing("no reference/Dockerfile in this sample")
            built = build_image(
                self.client,
                self.reference,
                self.reference / "Dockerfile",
                builder=variant.builder,
                tag=tag,
                nocache=nocache,
                log=self.log,
            )
        elif variant.kind == "squashed":
            built = self._build_squashed(variant, phase, tag, nocache, out)
        elif phase == "cold":  # docker_squash: the original image, squashed
            original = self.cold.get("original")
            if original is None:
                raise _Missing("the original image did not build")
            squashed = run_docker_squash(original.image, tag)
            out.squash_seconds = squashed.seconds
            built = Built(tag, round(original.seconds + squashed.seconds, 2), "docker-squash")
        else:
            # warm: the original's warm rebuild plus the squash time measured on the cold image
            # (squashing again takes as long: docker-squash has no cache)
            if self.warm_original is None or out.squash_seconds is None:
                raise _Missing("the original image did not rebuild")
            seconds = round(self.warm_original.seconds + out.squash_seconds, 2)
            return Built(self.cold["docker_squash"].image, seconds, "docker-squash")
        self.images.append(built.image)
        return built

    warm_original: Built | None = None

    def _build_squashed(
        self, variant: Variant, phase: str, tag: str, nocache: bool, out: VariantResult
    ) -> Built:
        from squasher.measure.diff_size import prepare_squashed_context

        assert variant.strategy is not None
        target = self.workdir / f"{variant.key}-{phase}"
        target.mkdir()
        started = time.monotonic()
        exact, dockerfile, rewritten = prepare_squashed_context(
            self.context / "Dockerfile",
            self.context,
            target,
            builder=variant.builder,
            strategy=variant.strategy,
        )
        rewrite_seconds = time.monotonic() - started
        if phase == "cold":
            out.rewrite_seconds = round(rewrite_seconds, 3)
            report = getattr(rewritten, "report", None)
            if variant.key == "squashed" and report is not None:
                self.result.rewrite_warnings = list(report.warnings)
        built = build_image(
            self.client,
            exact,
            exact / dockerfile,
            builder=variant.builder,
            tag=tag,
            nocache=nocache,
        )
        return Built(built.image, round(built.seconds + rewrite_seconds, 2), built.builder)

    def _past_deadline(self) -> bool:
        deadline = self.options.deadline
        return deadline is not None and time.monotonic() > deadline

    # -- phases

    def cold_phase(self) -> None:
        from squasher.errors import SquasherError

        for variant in self.variants:
            out = self.result.variants[variant.key]
            if self._past_deadline():
                out.error = "not built: the run's time cap was reached"
                continue
            self.log(f"{self.sample.name}: {variant.key}: cold build")
            try:
                built = self._build(variant, "cold")
            except (_Missing, SquasherError) as err:
                out.error = _one_line(str(err))
                self.log(f"{self.sample.name}: {variant.key}: FAILED: {out.error}")
                continue
            self.cold[variant.key] = built
            out.image = built.image
            out.builder = built.builder
            out.build_seconds = built.seconds
            measure_into(self.client, built.image, out)
            if self.options.analyze:
                try:
                    analyze_into(self.client, built.image, out)
                except SquasherError as err:
                    out.error = f"analyze: {_one_line(str(err))}"
            if self.sample.probe is not None:
                probe = run_probe(self.client, built.image, self.sample.probe)
                out.probe_status = probe.status
                out.probe_output = probe.output if probe.error is None else probe.error
            self.log(
                f"{self.sample.name}: {variant.key}: {out.size} bytes, {out.layers} layers, "
                f"{out.build_seconds} s, probe exit {out.probe_status}"
            )
        judge_probes(self.result, self.sample)

    def warm_phase(self) -> None:
        from squasher.errors import SquasherError

        touched = self.result.touched
        if touched is not None:
            _touch(self.context / touched)
            _touch(self.reference / touched)
        for variant in self.variants:
            out = self.result.variants[variant.key]
            if variant.key not in self.cold:
                continue
            wanted = self.options.warm_variants
            if wanted is not None and variant.key not in wanted:
                continue
            if self._past_deadline():
                break
            limit = self.options.max_warm_seconds
            cold = self.cold[variant.key].seconds
            if variant.kind == "squashed" and limit is not None and cold > limit:
                out.warm_note = f"not rebuilt: its cold build took {cold:.0f} s > {limit:.0f} s"
                continue
            self.log(f"{self.sample.name}: {variant.key}: warm rebuild")
            try:
                built = self._build(variant, "warm")
            except (_Missing, SquasherError) as err:
                out.error = f"warm rebuild: {_one_line(str(err))}"
                continue
            if variant.kind == "original":
                self.warm_original = built
            out.warm_seconds = built.seconds

    def run(self) -> SampleResult:
        started = time.monotonic()
        for variant in self.variants:
            self.result.variants[variant.key] = VariantResult(
                variant.key, variant.label, strategy=variant.strategy
            )
        _copy_context(self.sample.path, self.context, skip_reference=True)
        if self.sample.reference is not None:
            _copy_context(self.sample.reference, self.reference, skip_reference=False)
        self.cold_phase()
        if self.options.warm:
            self.warm_phase()
        self.result.seconds = round(time.monotonic() - started, 1)
        return self.result


class _Missing(Exception):
    """A variant that cannot be built because a piece of the sample is missing."""


def _one_line(text: str, limit: int = 600) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    joined = " | ".join(lines[-6:])
    return joined if len(joined) <= limit else "..." + joined[-limit:]


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


def run_all(
    client: docker.DockerClient,
    samples: list[Sample],
    variants: list[Variant],
    options: Options,
    *,
    max_seconds: float | None,
    log: Log = stderr_log,
) -> tuple[list[SampleResult], Kept]:
    """Run every sample in turn; after ``max_seconds`` no build starts (the rest is reported as
    skipped or not built)."""
    started = time.monotonic()
    if max_seconds is not None:
        options.deadline = started + max_seconds
    results: list[SampleResult] = []
    kept = Kept()
    for sample in samples:
        elapsed = time.monotonic() - started
        if max_seconds is not None and elapsed > max_seconds:
            skipped = SampleResult(sample.name, sample.readme, sample.slow, sample.missing())
            skipped.skipped = f"time cap: the run had taken {elapsed / 60:.0f} min"
            log(f"{sample.name}: skipped ({skipped.skipped})")
            results.append(skipped)
            continue
        with tempfile.TemporaryDirectory(prefix=f"squasher-bench-{sample.name}-") as tmp:
            run = SampleRun(client, sample, variants, options, Path(tmp), log)
            try:
                results.append(run.run())
            finally:
                keep = _largest_to_keep(run, kept) if options.keep_largest else set()
                remove_images(client, [ref for ref in run.images if ref not in keep])
    return results, kept


def _largest_to_keep(run: SampleRun, kept: Kept) -> set[str]:
    """Keep this sample's largest cold image when it beats the one kept so far (freed then).

    Returns the refs (tag and id) not to remove now."""
    best: tuple[int, str, str] | None = None
    for key, out in run.result.variants.items():
        if out.size is not None and out.image and (best is None or out.size > best[0]):
            best = (out.size, key, out.image)
    if best is None or best[0] <= kept.size:
        return set()
    if kept.ref is not None:
        remove_images(run.client, [kept.ref])
    kept.size, kept.variant, kept.ref, kept.sample = best[0], best[1], best[2], run.sample.name
    return {best[2], tag_for(run.sample.name, best[1], "cold")}
