"""``diff_size``: rewrite into a temporary directory, build the original and the squashed image on
the engine, and measure both (size, layers, build time, per-layer sizes).

The user's tree is never written to: the rewrite goes to a temporary directory that becomes the
squashed build's exact context (build.sh, the context files the folded steps read, and what kept
COPY/ADD instructions and base ONBUILD triggers read: ``report.context_paths``), so the staging
layer carries nothing else. The base images' USER, WORKDIR, ENV, ONBUILD triggers and user-switch
tools are read from the engine, as ``--inspect-base`` does.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from squasher.errors import SquasherError
from squasher.measure.contexts import original_context, prepare_squashed_context

if TYPE_CHECKING:
    import docker

    from squasher.engine import BuildProgress, ImageInfo, Scratch
    from squasher.report.rewrite import RewriteReport

Which = Literal["original", "squashed"]
#: Each build of a run is tagged TEMP_REPOSITORY/<random>:original|squashed and removed by that
#: tag, so that concurrent runs that build identical images (same id) never delete each other's.
TEMP_REPOSITORY = "squasher-diff-size"
ProgressSink = Callable[[Which, "BuildProgress"], None]


@dataclass
class LayerSize:
    size: int
    created_by: str


@dataclass
class ImageMeasure:
    """One image as the engine reports it."""

    image: str | None  # the image id when kept (--keep-images / --tag), else None
    built_id: str  # the id the build produced (removed afterwards unless kept)
    size: int  # bytes, `docker image inspect` Size
    layers: int  # filesystem layers (RootFS.Layers)
    build_seconds: float
    layer_sizes: list[LayerSize]  # oldest first, one per history entry
    builder: str
    efficiency: float | None = None  # dive's efficiency score (analyze)
    wasted_bytes: int | None = None
    reclaimable_bytes: int | None = None  # bytes dive cannot see (caches, build-only packages)


@dataclass
class DiffSizeResult:
    """Everything ``squasher diff-size --json`` prints for one context."""

    context: str
    dockerfile: str
    strategy: str
    builder: str
    original: ImageMeasure
    squashed: ImageMeasure
    saved_bytes: int
    saved_ratio: float
    report: dict[str, Any] = field(default_factory=dict)  # the rewrite report
    staging_bytes: int | None = None
    verify: dict[str, Any] | None = None
    tag: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _measure(info: ImageInfo, seconds: float, builder: str, keep: bool) -> ImageMeasure:
    return ImageMeasure(
        image=info.id if keep else None,
        built_id=info.id,
        size=info.size,
        layers=info.layers,
        build_seconds=round(seconds, 3),
        layer_sizes=[LayerSize(layer.size, layer.instruction) for layer in info.layer_sizes],
        builder=builder,
    )


def _build_and_measure(
    scratch: Scratch,
    which: Which,
    context: Path,
    dockerfile: str | Path,
    *,
    builder: str,
    buildargs: Mapping[str, str],
    progress: ProgressSink | None,
    keep: bool,
) -> tuple[ImageMeasure, str, list[str]]:
    from squasher.engine import inspect_image
    from squasher.errors import BuildFailed, EngineUnavailable

    def on_progress(event: BuildProgress) -> None:
        if progress is not None:
            progress(which, event)

    started = time.monotonic()
    try:
        result = scratch.build(
            context,
            dockerfile,
            buildargs,
            f"{TEMP_REPOSITORY}/{uuid.uuid4().hex[:16]}:{which}",
            on_progress,
            builder=builder,  # type: ignore[arg-type]
        )
    except BuildFailed as err:
        from squasher.engine.connect import FIX_HINT, engine_answers, engine_host

        if not engine_answers(scratch.client):  # not the build's fault: the engine went away
            raise EngineUnavailable(
                f"the Docker engine at {engine_host()} stopped answering while the {which} "
                f"image was building; {FIX_HINT}"
            ) from None
        raise BuildFailed(f"the {which} image failed to build: {err.message}") from None
    seconds = time.monotonic() - started
    info = inspect_image(scratch.client, result.image_id)
    measure = _measure(info, seconds, result.builder, keep)
    return measure, result.image_id, list(result.log)


def diff_size(
    context: str | os.PathLike[str] = ".",
    dockerfile: str | os.PathLike[str] | None = None,
    *,
    builder: str = "buildkit",
    strategy: str | None = None,
    build_args: Mapping[str, str] | None = None,
    keep_images: bool = False,
    tag: str | None = None,
    analyze: bool = True,
    verify: bool = False,
    rewrite_options: Mapping[str, Any] | None = None,
    progress: ProgressSink | None = None,
    client: docker.DockerClient | None = None,
) -> DiffSizeResult:
    """Build the original and the squashed image of ``context`` and measure both.

    ``builder`` is the builder the rewrite targets and both images are built with (an original
    that needs BuildKit is built with BuildKit). ``strategy="mount"`` needs BuildKit; None is the
    rewrite's default for the builder (``squasher.rewriting.default_strategy``). Temporary
    images are removed unless ``keep_images``; ``tag`` leaves the squashed image under that name.
    """
    from squasher.engine import Scratch, connect

    context_path, df, strategy = _inputs(context, dockerfile, builder, strategy)
    args = dict(build_args or {})
    client = client or connect()
    keep = keep_images or tag is not None

    with (
        tempfile.TemporaryDirectory(prefix="squasher-diff-") as tmp,
        Scratch(client, keep=keep_images) as scratch,
    ):
        options = dict(rewrite_options or {})
        if options.get("base_info") is None:  # the engine is here: read the bases as --inspect-base
            from squasher.plan.base import engine_base_info

            options["base_info"] = engine_base_info(client)
        exact, squashed_df, rewritten = prepare_squashed_context(
            df, context_path, Path(tmp), builder=builder, strategy=strategy, options=options
        )
        original_builder = "buildkit" if builder == "buildkit" else "auto"
        original_ctx, original_df = original_context(context_path, df, rewritten, Path(tmp))
        original, original_id, _log = _build_and_measure(
            scratch, "original", original_ctx, original_df, builder=original_builder,
            buildargs=args, progress=progress, keep=keep_images,
        )  # fmt: skip
        squashed, squashed_id, squashed_log = _build_and_measure(
            scratch, "squashed", exact, squashed_df, builder=builder,
            buildargs=args, progress=progress, keep=keep,
        )  # fmt: skip
        if analyze:
            _add_analysis(client, original, original_id)
            _add_analysis(client, squashed, squashed_id)
        verified = None
        if verify:
            verified = _verify(client, original_id, squashed_id, rewritten.report, squashed_log)
        if tag is not None:
            _tag(client, scratch, squashed_id, tag, keep_images)
        saved = original.size - squashed.size
        report = _report_dict(rewritten.report, squashed_log)
        if strategy == "stages" and report.get("delta") is None:
            from squasher.render.stages.delta import delta_from_layers

            report["delta"] = delta_from_layers(
                [(x.size, x.created_by) for x in squashed.layer_sizes]
            )
        if report:  # the bytes of the layers the builder makes itself (kept steps, ONBUILD)
            from squasher.measure.builder_layers import complete

            complete(
                report, client=client, dockerfile=df, original=original.layer_sizes,
                squashed=squashed.layer_sizes, log="\n".join(squashed_log),
                base_info=options["base_info"],
            )  # fmt: skip
        return DiffSizeResult(
            context=str(context_path),
            dockerfile=str(df),
            strategy=strategy,
            builder=builder,
            original=original,
            squashed=squashed,
            saved_bytes=saved,
            saved_ratio=round(saved / original.size, 4) if original.size else 0.0,
            report=report,
            staging_bytes=rewritten.report.staging_bytes if rewritten.report else None,
            verify=verified,
            tag=tag,
        )


def _inputs(
    context: str | os.PathLike[str],
    dockerfile: str | os.PathLike[str] | None,
    builder: str,
    strategy: str | None,
) -> tuple[Path, Path, str]:
    """The context directory and the Dockerfile, absolute, and the rewrite's form (the
    builder's default when None), or the error that says what is wrong with them."""
    context_path = Path(context).resolve()
    if not context_path.is_dir():
        raise SquasherError(f"{context}: build context is not a directory")
    df = Path(dockerfile) if dockerfile is not None else context_path / "Dockerfile"
    if not df.is_absolute():
        df = (Path.cwd() / df).resolve()
    if not df.is_file():
        raise SquasherError(f"{df}: no such Dockerfile")
    if strategy is None:
        from squasher.rewriting import default_strategy

        strategy = default_strategy(builder)
    if strategy == "mount" and builder != "buildkit":
        raise SquasherError("--strategy mount needs --builder buildkit")
    return context_path, df, strategy


def _tag(
    client: docker.DockerClient, scratch: Scratch, image_id: str, tag: str, keep_images: bool
) -> None:
    """Leave the squashed image under ``tag`` (``name[:tag]``, default ``latest``); the tag keeps
    it alive, so only the original goes unless ``keep_images``."""
    repo, _, tag_part = tag.rpartition(":") if ":" in tag.split("/")[-1] else (tag, "", "")
    client.api.tag(image_id, repo or tag, tag_part or "latest")
    if not keep_images:
        with contextlib.suppress(ValueError):
            scratch.images.remove(image_id)


def _report_dict(report: RewriteReport | None, build_log: Sequence[str] = ()) -> dict[str, Any]:
    """The rewrite report, completed with what the squashed build printed: the runtime packages
    it protected (each with the file and library that needed it and the step it protected
    against) and the bytes each purge and cache cleanup freed."""
    from squasher.pkg.base import parse_freed_log, parse_protect_log

    if report is None:
        return {}
    data: dict[str, Any] = asdict(report)
    log = "\n".join(build_log)
    protections = parse_protect_log(log)
    data["protected"] = [asdict(p) for p in protections]
    data["freed"] = [asdict(f) for f in parse_freed_log(log)]
    if data.get("strategy") == "stages":
        from squasher.render.stages.delta import parse_delta_log

        delta = parse_delta_log(log)
        data["delta"] = asdict(delta) if delta is not None else None
    needed = {(p.manager, p.package): p for p in protections}
    for pkg in data["packages"]:
        hit = needed.get((pkg["manager"], pkg["package"]))
        if hit is not None and pkg["purged"]:
            pkg["purged"] = False
            pkg["reason"] = f"needed by {hit.file} through {hit.needs}"
    return data


def _add_analysis(client: docker.DockerClient, measure: ImageMeasure, image_id: str) -> None:
    """Efficiency, wasted and reclaimable bytes, when the analyzer is available."""
    from squasher.inspect.analysis import analyze

    analysis = analyze(image_id, client=client)
    measure.efficiency = analysis.efficiency
    measure.wasted_bytes = analysis.wasted_bytes
    measure.reclaimable_bytes = analysis.reclaimable.total


def _verify(
    client: docker.DockerClient,
    original_id: str,
    squashed_id: str,
    report: RewriteReport | None,
    build_log: Sequence[str],
) -> dict[str, Any]:
    from squasher.inspect.verify import verify

    result = verify(
        original_id, squashed_id, client=client, report=report, build_log="\n".join(build_log)
    )
    return {**result.to_json(), "verdict": result.summary_line()}
