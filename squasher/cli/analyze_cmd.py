"""``squasher analyze IMAGE``: per-layer sizes, dive's efficiency and wasted bytes, reclaimable bytes."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, cast

import click

from squasher.cli.image_source import source_option

if TYPE_CHECKING:
    from squasher.inspect.streaming import ImageSource

EPILOG = """\b
Examples:
  squasher analyze myapp:latest
  squasher analyze myapp:latest --json --top 20
  squasher analyze myapp:latest --ci --lowest-efficiency 0.95 --highest-wasted-bytes 20MB
  squasher analyze saved-image.tar        (a `docker save` archive)

\b
--ci exits 1 when a rule fails; the rules are dive's, with dive's defaults:
  lowestEfficiency 0.9, highestWastedBytes disabled, highestUserWastedPercent 0.1.
"""


class _Progress:
    """A one-line progress meter on stderr, drawn at most 10 times a second (TTY only)."""

    def __init__(self) -> None:
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        from squasher.inspect.analysis import human_bytes

        text = f"reading image: {human_bytes(done)}"
        if total:
            text += f" of ~{human_bytes(total)}"
        sys.stderr.write("\r" + text.ljust(48))
        sys.stderr.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 48 + "\r")
            sys.stderr.flush()


@click.command("analyze", epilog=EPILOG)
@click.argument("image")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many wasted files to list.",
)
@click.option("--ci", is_flag=True, help="Apply dive's CI rules; exit 1 when one fails.")
@click.option(
    "--lowest-efficiency",
    default="0.9",
    show_default=True,
    help="lowestEfficiency: lowest allowed efficiency (0-1), or 'disabled'.",
)
@click.option(
    "--highest-wasted-bytes",
    default="disabled",
    show_default=True,
    help="highestWastedBytes: most wasted bytes allowed (e.g. 20MB, 5MiB), or 'disabled'.",
)
@click.option(
    "--highest-user-wasted-percent",
    default="0.1",
    show_default=True,
    help="highestUserWastedPercent: most wasted bytes allowed relative to the bytes added on top "
    "of the first layer (ratio 0-1), or 'disabled'.",
)
@source_option
def command(
    image: str,
    as_json: bool,
    top: int,
    ci: bool,
    lowest_efficiency: str,
    highest_wasted_bytes: str,
    highest_user_wasted_percent: str,
    source: str,
) -> None:
    """Show where IMAGE's bytes go: each layer's size and instruction, dive's efficiency and
    wasted bytes (the same figures dive reports), the largest wasted files, and the bytes dive
    cannot see (package lists and caches, pip/npm caches, /tmp, build-only packages).

    IMAGE is a name or id the engine knows (DOCKER_HOST), or an image archive file: `docker save`
    output (docker-archive or OCI image layout) or `skopeo copy ... oci-archive:FILE`.
    """
    progress = _Progress() if sys.stderr.isatty() else None
    if ci:
        # check the thresholds before streaming a large image
        from squasher.inspect.ci_thresholds import parse_bytes, parse_ratio

        for name, value in (
            ("lowestEfficiency", lowest_efficiency),
            ("highestUserWastedPercent", highest_user_wasted_percent),
        ):
            if value != "disabled":
                parse_ratio(name, value)
        if highest_wasted_bytes != "disabled":
            parse_bytes(highest_wasted_bytes)
    # the engine starts writing the archive now, while the analysis code is imported
    from squasher.inspect.streaming import open_engine_image

    try:
        read_from = cast("ImageSource", source)
        opened = open_engine_image(image, progress, read_from)
        import json

        from squasher.inspect.analysis import analyze, evaluate_ci, render_text

        result = analyze(image, progress=progress, opened=opened, source=read_from)
    finally:
        if progress is not None:
            progress.finish()
    if ci:
        evaluate_ci(result, lowest_efficiency, highest_wasted_bytes, highest_user_wasted_percent)
    if as_json:
        click.echo(json.dumps(result.to_json(top=top), indent=2, sort_keys=False))
    else:
        click.echo(render_text(result, top=top), nl=False)
    if ci and not result.ci_passed:
        sys.exit(1)
