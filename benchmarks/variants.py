"""The images a benchmark builds for each sample, side by side on one engine."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["original", "squashed", "docker_squash", "reference"]


@dataclass(frozen=True)
class Variant:
    key: str  # the key in results.json
    kind: Kind
    builder: str  # "auto" (classic unless the Dockerfile needs BuildKit), "classic", "buildkit"
    strategy: str | None = None  # squasher's --strategy for kind "squashed"
    label: str = ""  # column title in RESULTS.md and the chart
    keep_base: bool = False  # docker_squash: squash only the layers the Dockerfile added


# build order: what the headline ratios need first, so that a run cut by its time cap still has
# them (results.json and the tables use their own, fixed column order)
VARIANTS: tuple[Variant, ...] = (
    Variant("original", "original", "auto", label="original"),
    Variant("squashed", "squashed", "buildkit", "script", "squashed (script, BuildKit)"),
    Variant(
        "docker_squash_base",
        "docker_squash",
        "auto",
        label="docker-squash (base kept)",
        keep_base=True,
    ),
    Variant("reference", "reference", "auto", label="expert reference"),
    Variant("squashed_stages", "squashed", "buildkit", "stages", "squashed (stages, BuildKit)"),
    Variant("squashed_mount", "squashed", "buildkit", "mount", "squashed (mount, BuildKit)"),
    Variant("squashed_classic", "squashed", "classic", "script", "squashed (script, classic)"),
    Variant(
        "squashed_stages_classic", "squashed", "classic", "stages", "squashed (stages, classic)"
    ),
    Variant("docker_squash", "docker_squash", "auto", label="docker-squash (flatten)"),
)
BY_KEY = {v.key: v for v in VARIANTS}


def select_variants(keys: list[str] | None) -> tuple[list[Variant], list[str]]:
    """The variants to build (in build order) and the unknown keys asked for.

    docker-squash works on the original image, so asking for it brings the original along."""
    if not keys:
        return list(VARIANTS), []
    unknown = [k for k in keys if k not in BY_KEY]
    wanted = set(keys)
    if any(BY_KEY[k].kind == "docker_squash" for k in wanted if k in BY_KEY):
        wanted.add("original")
    return [v for v in VARIANTS if v.key in wanted], unknown


def default_strategies() -> dict[str, str]:
    """The ``--strategy`` squasher's rewrite uses when told none, per builder: asked of the
    rewrite itself (its report names the strategy it took), so the tables and targets follow
    whatever this squasher's default is."""
    from squasher.rewriting import rewrite

    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="squasher-bench-default-") as tmp:
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text("FROM busybox\nRUN true\n", encoding="utf-8")
        for builder in ("buildkit", "classic"):
            report = rewrite(dockerfile, builder=builder).report
            if report is not None:
                out[builder] = report.strategy
    return out


def default_key(defaults: dict[str, str] | None, builder: str = "buildkit") -> str:
    """The variant that is squasher's default form on ``builder`` (``squashed`` when the run
    did not record its defaults: runs made while the default was the script form)."""
    strategy = (defaults or {}).get(builder, "script")
    for v in VARIANTS:
        if v.kind == "squashed" and v.builder == builder and v.strategy == strategy:
            return v.key
    return "squashed"
