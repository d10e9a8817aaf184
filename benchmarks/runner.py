"""One benchmark run: every selected sample, every variant, built sequentially on one engine.

Per sample the sample is copied to a temporary directory (the repository is never written to;
a sample's ``make-assets.sh`` writes its generated files into the copy). Then, one variant after
the other: the variant is built cold (no cache), measured, analysed, probed and pushed to a
loopback registry; one source file is changed (a blank line appended, see ``touch_line``) and the
variant is rebuilt warm (with the cache) and pushed again: what the registry received the second
time is the deploy delta; the file is put back before the next variant.

Each variant's figures are its own: cold builds use no cache at all, so no layer another variant
(or an earlier run) built is reused; a warm rebuild runs right after the variant's own cold
build, so where two variants share steps (the reference and the original, the stages form's
build stage and the original) the newest cached layers, which both builders reuse first, are
the variant's own; and the changed line is unique to the variant and the run, so no other
build's cache can serve a step after the change. All images the sample made are removed before
the next sample starts, except those ``benchmarks.keep`` holds for the analyze timings at the end.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.deploy import LoopbackRegistry, RegistryError, delta_bytes
from benchmarks.engine_run import (
    Built,
    VariantResult,
    analyze_into,
    base_kept_from_layer,
    build_image,
    final_base,
    measure_into,
    remove_images,
    run_docker_squash,
    run_probe,
    tag_for,
)
from benchmarks.estimate import SampleEstimate, fits
from benchmarks.keep import Keeper, KeptImage
from benchmarks.sample_result import SampleResult, judge_probes
from benchmarks.samples import Sample
from benchmarks.variants import Variant

if TYPE_CHECKING:
    import docker

__all__ = ["Options", "SampleResult", "SampleRun", "judge_probes", "run_all", "stderr_log"]

Log = Callable[[str], None]


def stderr_log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Options:
    warm: bool = True
    warm_variants: frozenset[str] | None = None  # None: every variant built cold
    analyze: bool = True
    keep_for_micro: bool = True
    deploy: bool = True  # push cold and warm images to a loopback registry
    deadline: float | None = None  # time.monotonic() after which no build starts
    # a squashed image's warm rebuild reruns its whole script (any staged file changed); when
    # its cold build took longer than this, it is not rebuilt and the warm time is left empty
    max_warm_seconds: float | None = None
    # the variant whose rewrite report gives the sample's warnings and purged packages: the one
    # squasher's default strategy builds on BuildKit (``variants.default_key``)
    default_key: str = "squashed"


def available_strategies() -> tuple[str, ...]:
    """The ``--strategy`` values this squasher's rewrite accepts."""
    from squasher import rewriting

    return tuple(rewriting.STRATEGIES)


def _copy_context(src: Path, dest: Path, *, skip_reference: bool) -> None:
    def ignore(directory: str, names: list[str]) -> list[str]:
        if skip_reference and Path(directory) == src:
            return [n for n in names if n in ("reference", ".squasher")]
        return [n for n in names if n == ".squasher"]

    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def touch_line(token: int) -> bytes:
    """The line a warm rebuild appends to the changed file: a newline, then 32 spaces and tabs
    spelling ``token`` in binary, then a newline. Whitespace only, so the file means what it
    meant in every language the samples use; unique per variant and run, so the changed file
    and every step after it miss every cache but the variant's own."""
    bits = "".join("\t" if token >> i & 1 else " " for i in range(31, -1, -1))
    return ("\n" + bits + "\n").encode("ascii")


def _touch(path: Path, line: bytes) -> bytes | None:
    """Append ``line`` to the file; returns its content before the change (None: no file)."""
    if not path.is_file():
        return None
    before = path.read_bytes()
    path.write_bytes(before + line)
    return before


def _prepare(context: Path) -> None:
    """Run the context's ``make-assets.sh`` (it writes the generated files next to itself)."""
    script = context / "make-assets.sh"
    if script.is_file():
        proc = subprocess.run(
            ["sh", str(script)], capture_output=True, text=True, check=False, timeout=600
        )
        if proc.returncode != 0:
            raise _Missing(f"make-assets.sh failed: {_one_line(proc.stderr or proc.stdout)}")


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
        registry: LoopbackRegistry | None = None,
        registry_error: str | None = None,
    ) -> None:
        self.client = client
        self.sample = sample
        self.variants = variants
        self.options = options
        self.workdir = workdir
        self.log = log
        self.registry = registry
        self.registry_error = registry_error
        self.images: list[str] = []
        self.context = workdir / "context"
        self.reference = workdir / "reference"
        self.result = SampleResult(
            sample.name, sample.readme, sample.slow, sample.missing(), sample.touch_file()
        )
        self.cold_built: dict[str, Built] = {}  # by variant key
        self.warm_built: dict[str, Built] = {}
        self.warm_original: Built | None = None

    # -- building

    def _build(self, variant: Variant, phase: str) -> Built:
        tag = tag_for(self.sample.name, variant.key, phase)
        self.images.append(tag)
        nocache = phase == "cold"
        out = self.result.variants[variant.key]
        if variant.kind in ("original", "reference"):
            context = self.context
            if variant.kind == "reference":
                if self.sample.reference is None:
                    raise _Missing("no reference/Dockerfile in this sample")
                context = self.reference
            built = build_image(
                self.client,
                context,
                context / "Dockerfile",
                builder=variant.builder,
                tag=tag,
                nocache=nocache,
                log=self.log,
            )
        elif variant.kind == "squashed":
            built = self._build_squashed(variant, phase, tag, nocache, out)
        else:
            return self._docker_squash(variant, phase, tag, out)
        self.images.append(built.image)
        return built

    def _docker_squash(self, variant: Variant, phase: str, tag: str, out: VariantResult) -> Built:
        """The original image (cold or warm), squashed; its time includes the original's build.

        Without deploy deltas the warm time is the original's warm rebuild plus the squash time
        measured on the cold image (squashing again takes as long: docker-squash has no cache)."""
        original = self.cold_built.get("original") if phase == "cold" else self.warm_original
        if original is None:
            raise _Missing(
                f"the original image did not {'build' if phase == 'cold' else 'rebuild'}"
            )
        if phase == "warm" and not self.options.deploy:
            if out.squash_seconds is None:
                raise _Missing("docker-squash did not run on the cold image")
            seconds = round(original.seconds + out.squash_seconds, 2)
            return Built(self.cold_built[variant.key].image, seconds, "docker-squash")
        if variant.keep_base and phase == "cold":
            base = final_base(self.context / "Dockerfile")
            out.squash_from = base_kept_from_layer(self.client, original.image, base)
        squashed = run_docker_squash(original.image, tag, out.squash_from)
        if phase == "cold":
            out.squash_seconds = squashed.seconds
        return Built(tag, round(original.seconds + squashed.seconds, 2), "docker-squash")

    def _build_squashed(
        self, variant: Variant, phase: str, tag: str, nocache: bool, out: VariantResult
    ) -> Built:
        from squasher.measure.contexts import prepare_squashed_context

        assert variant.strategy is not None
        strategies = available_strategies()
        if variant.strategy not in strategies:
            raise _Missing(
                f"strategy not available: this squasher's rewrite has no --strategy "
                f"{variant.strategy} (it has {', '.join(strategies)})"
            )
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
            if variant.key == self.options.default_key and report is not None:
                self.result.rewrite_warnings = list(report.warnings)
                self.result.purged = [p.package for p in report.packages if p.purged]
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

    def _push(self, variant: Variant, out: VariantResult, image: str, phase: str) -> None:
        """Push ``image`` to the variant's repository; record the bytes the registry received."""
        if not self.options.deploy:
            return
        if self.registry is None:
            out.deploy_note = self.registry_error or "no registry"
            return
        name = re.sub(r"[^a-z0-9._-]", "-", f"{self.sample.name}-{variant.key}".lower())
        try:
            before = self.registry.blobs(name)
            self.registry.push(self.client, image, name, phase)
            received = delta_bytes(before, self.registry.blobs(name))
        except RegistryError as err:
            out.deploy_note = _one_line(str(err))
            return
        if phase == "cold":
            out.push_bytes = received
        else:
            out.deploy_delta_bytes = received
            out.deploy_note = None

    # -- phases

    def cold(self, variant: Variant) -> None:
        """Build ``variant`` with no cache; measure, analyse, probe and push it."""
        from squasher.errors import SquasherError

        out = self.result.variants[variant.key]
        if self._past_deadline():
            out.error = "not built: the run's time cap was reached"
            return
        self.log(f"{self.sample.name}: {variant.key}: cold build")
        try:
            built = self._build(variant, "cold")
        except (_Missing, SquasherError) as err:
            out.error = _one_line(str(err))
            self.log(f"{self.sample.name}: {variant.key}: FAILED: {out.error}")
            return
        self.cold_built[variant.key] = built
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
        self._push(variant, out, built.image, "cold")
        if out.push_bytes is not None:
            out.deploy_note = "not rebuilt warm"
        self.log(
            f"{self.sample.name}: {variant.key}: {out.size} bytes, {out.layers} layers, "
            f"{out.build_seconds} s, probe exit {out.probe_status}"
        )

    def _warm_wanted(self, variant: Variant, out: VariantResult) -> bool:
        if variant.key not in self.cold_built:
            return False
        wanted = self.options.warm_variants
        if wanted is not None and variant.key not in wanted:
            return False
        if self._past_deadline():
            out.warm_note = "not rebuilt: the run's time cap was reached"
            return False
        limit = self.options.max_warm_seconds
        cold = self.cold_built[variant.key].seconds
        if variant.kind == "squashed" and limit is not None and cold > limit:
            out.warm_note = f"not rebuilt: its cold build took {cold:.0f} s > {limit:.0f} s"
            return False
        return True

    def warm(self, variant: Variant, token: int) -> None:
        """Change the sample's source file (the line ``token`` spells), rebuild ``variant`` with
        the cache and push it again; the file is put back afterwards."""
        from squasher.errors import SquasherError

        out = self.result.variants[variant.key]
        if not self._warm_wanted(variant, out):
            return
        touched = self.result.touched
        # docker-squash has no build of its own: it squashes the original's warm image
        where = self.reference if variant.kind == "reference" else self.context
        before = None
        if touched is not None and variant.kind != "docker_squash":
            before = _touch(where / touched, touch_line(token))
            if before is not None:
                size = (where / touched).stat().st_size
                self.result.touched_bytes = max(self.result.touched_bytes or 0, size)
        self.log(f"{self.sample.name}: {variant.key}: warm rebuild")
        try:
            built = self._build(variant, "warm")
        except (_Missing, SquasherError) as err:
            out.error = f"warm rebuild: {_one_line(str(err))}"
            return
        finally:
            if before is not None and touched is not None:
                (where / touched).write_bytes(before)
        if variant.kind == "original":
            self.warm_original = built
        self.warm_built[variant.key] = built
        out.warm_seconds = built.seconds
        self._push(variant, out, built.image, "warm")

    def run(self) -> SampleResult:
        started = time.monotonic()
        for variant in self.variants:
            self.result.variants[variant.key] = VariantResult(
                variant.key, variant.label, strategy=variant.strategy
            )
        _copy_context(self.sample.path, self.context, skip_reference=True)
        if self.sample.reference is not None:
            _copy_context(self.sample.reference, self.reference, skip_reference=False)
        try:
            _prepare(self.context)
            _prepare(self.reference)
        except _Missing as err:
            self.result.skipped = str(err)
            return self.result
        # one token per run and variant: the changed line no earlier build has seen
        first = uuid.uuid4().int & 0xFFFFFF00
        for number, variant in enumerate(self.variants):
            self.cold(variant)
            if self.options.warm:
                self.warm(variant, first + number)
        judge_probes(self.result, self.sample)
        self.result.seconds = round(time.monotonic() - started, 1)
        return self.result


class _Missing(Exception):
    """A variant that cannot be built because a piece of the sample is missing."""


def _one_line(text: str, limit: int = 600) -> str:
    """The last lines of an error, squasher's own messages (``squasher: Dockerfile:N: ...``)
    first: the engine's lines after them say less."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    own = [line for line in lines if "squasher: " in line][:3]
    joined = " | ".join(own + [line for line in lines[-6:] if line not in own])
    return joined if len(joined) <= limit else "..." + joined[-limit:]


def _run_sample(
    client: docker.DockerClient,
    sample: Sample,
    variants: list[Variant],
    options: Options,
    tmp: Path,
    log: Log,
    keeper: Keeper,
) -> SampleResult:
    registry: LoopbackRegistry | None = None
    error: str | None = None
    if options.deploy:
        try:
            registry = LoopbackRegistry(tmp / "registry").__enter__()
        except RegistryError as err:
            error = str(err)
            log(f"{sample.name}: no deploy deltas: {error}")
    run = SampleRun(client, sample, variants, options, tmp / "run", log, registry, error)
    (tmp / "run").mkdir()
    try:
        return run.run()
    finally:
        if registry is not None:
            registry.__exit__(None, None, None)
        dropped: list[KeptImage] = []
        if options.keep_for_micro:
            dropped = keeper.offer(
                [
                    KeptImage(
                        out.image, tag_for(sample.name, key, "cold"), sample.name, key, out.size
                    )
                    for key, out in run.result.variants.items()
                    if out.size is not None and out.image
                ]
            )
        held = keeper.held()
        remove_images(client, [ref for ref in run.images if ref not in held])
        remove_images(client, [i.ref for i in dropped])


def run_all(
    client: docker.DockerClient,
    samples: list[Sample],
    variants: list[Variant],
    options: Options,
    *,
    max_seconds: float | None,
    log: Log = stderr_log,
    estimates: dict[str, SampleEstimate] | None = None,
    finished: Callable[[list[SampleResult]], None] | None = None,
) -> tuple[list[SampleResult], Keeper]:
    """Run every sample in turn; after ``max_seconds`` no build starts (the rest is reported as
    skipped or not built), and a sample whose estimate would run past it is not started (it is
    reported as skipped, the next ones are tried). ``finished`` is called with the results so
    far after each sample (a run stopped later keeps them). The keeper holds the images
    kept for the analyze timings."""
    started = time.monotonic()
    if max_seconds is not None:
        options.deadline = started + max_seconds
    results: list[SampleResult] = []
    keeper = Keeper()
    for sample in samples:
        elapsed = time.monotonic() - started
        expected = (estimates or {}).get(sample.name)
        why = None
        if max_seconds is not None and elapsed > max_seconds:
            why = f"time cap: the run had taken {elapsed / 60:.0f} min"
        elif (
            max_seconds is not None
            and expected is not None
            and not fits(expected, elapsed, max_seconds)
        ):
            why = (
                f"time cap: estimated {expected.seconds / 60:.0f} min, "
                f"{(max_seconds - elapsed) / 60:.0f} min left of {max_seconds / 60:.0f}"
            )
        if why is not None:
            skipped = SampleResult(sample.name, sample.readme, sample.slow, sample.missing())
            skipped.skipped = why
            log(f"{sample.name}: skipped ({skipped.skipped})")
            results.append(skipped)
            if finished is not None:
                finished(results)
            continue
        with tempfile.TemporaryDirectory(prefix=f"squasher-bench-{sample.name}-") as tmp:
            results.append(_run_sample(client, sample, variants, options, Path(tmp), log, keeper))
        if finished is not None:
            finished(results)
    return results, keeper
