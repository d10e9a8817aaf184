"""``squasher diff-size``: build the original and the squashed image and show what was saved."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from squasher.cli.purge_options import purge_kwargs, purge_options
from squasher.errors import SquasherError
from squasher.util.builders import BUILDERS

if TYPE_CHECKING:
    from collections.abc import Callable

    from squasher.engine import BuildProgress
    from squasher.measure.diff_size import DiffSizeResult


# what diff-size --verify says when differences remain that no rule explains
REBUILD_HINT = (
    "hint: what no rule explains may differ between two builds of the original too: rerun with "
    "--keep-images, build the original again with `docker build --no-cache`, and run "
    "`squasher verify ORIGINAL SQUASHED --rebuild SECOND_BUILD`"
)


def _parse_build_args(values: tuple[str, ...]) -> dict[str, str]:
    import os

    args: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--build-arg")
        if not sep:  # like docker: --build-arg KEY takes KEY from the environment
            if key not in os.environ:
                continue
            value = os.environ[key]
        args[key] = value
    return args


class _Progress:
    """Live ``[original] step 3/7: RUN make`` lines on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, verbose: bool) -> None:
        self.enabled = enabled
        self.verbose = verbose
        self.last: tuple[str, int | None] | None = None

    def __call__(self, which: str, event: BuildProgress) -> None:
        if self.verbose:
            click.echo(f"[{which}] {event.line}", err=True)
            return
        if not self.enabled or event.step is None:
            return
        key = (which, event.step)
        if key == self.last:
            return
        self.last = key
        text = event.line.split(" : ", 1)[-1] if " : " in event.line else event.line
        text = " ".join(text.split())[:90]
        click.echo(f"\r\x1b[K[{which}] step {event.step}/{event.total}: {text}", err=True, nl=False)

    def done(self) -> None:
        if self.enabled and not self.verbose and self.last is not None:
            click.echo("\r\x1b[K", err=True, nl=False)


def _run_contexts(
    contexts: tuple[str, ...], run: Callable[[str], DiffSizeResult], jobs: int, keep_going: bool
) -> tuple[list[DiffSizeResult], list[tuple[str, SquasherError]]]:
    """Run each context (``jobs`` at once); the failures, each with its context (absolute), are
    collected when several run at once or with ``keep_going``, else the first one is raised."""

    results: list[DiffSizeResult] = []
    failures: list[tuple[str, SquasherError]] = []
    if jobs == 1 or len(contexts) == 1:
        for context in contexts:
            try:
                results.append(run(context))
            except SquasherError as err:
                if not keep_going:
                    raise
                failures.append((str(Path(context).resolve()), err))
        return results, failures
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [(c, pool.submit(run, c)) for c in contexts]
        for context, future in futures:
            try:
                results.append(future.result())
            except SquasherError as err:
                failures.append((str(Path(context).resolve()), err))
    return results, failures


@click.command(
    "diff-size",
    epilog="""Examples:

\b
  squasher diff-size samples/c-make
  squasher diff-size . -f docker/Dockerfile --builder classic --json
  squasher diff-size samples/* --jobs 2 --format md --html sizes.html
""",
)
@click.argument("contexts", nargs=-1, type=click.Path(file_okay=False))
@click.option(
    "-f",
    "--file",
    "dockerfile",
    type=click.Path(dir_okay=False),
    help="Dockerfile (default CONTEXT/Dockerfile).",
)
@click.option(
    "--builder",
    type=click.Choice(BUILDERS),
    default="buildkit",
    show_default=True,
    help="Builder the rewrite targets and both images are built with.",
)
@click.option(
    "--strategy",
    type=click.Choice(["script", "mount", "stages"]),
    default=None,
    help="The form of the rewrite (see squasher rewrite --help). "
    "Default: mount with --builder buildkit, script with --builder classic.",
)
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    metavar="KEY=VALUE",
    help="Build-time variable (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per context.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "md"]), default="table", show_default=True
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML page.",
)
@click.option("--keep-images", is_flag=True, help="Keep both images and print their ids.")
@click.option("--tag", help="Leave the squashed image under this name (ready for docker push).")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Contexts built at once.",
)
@click.option(
    "--verify",
    "do_verify",
    is_flag=True,
    help="Also verify the squashed image against the original.",
)
@purge_options
@click.option("-q", "--quiet", is_flag=True, help="Only the result.")
@click.option("-v", "--verbose", is_flag=True, help="Stream the engine's build output.")
def command(
    contexts: tuple[str, ...],
    dockerfile: str | None,
    builder: str,
    strategy: str | None,
    build_args: tuple[str, ...],
    as_json: bool,
    fmt: str,
    html_file: str | None,
    keep_images: bool,
    tag: str | None,
    jobs: int,
    do_verify: bool,
    quiet: bool,
    verbose: bool,
    **purge: Any,
) -> None:
    """Build the original and the squashed image on the engine and show what was saved.

    The rewrite goes to a temporary directory: your tree is not touched.
    """
    from squasher.engine import connect
    from squasher.errors import CheckFailed
    from squasher.measure.diff_size import diff_size
    from squasher.report import humanize, size_report

    if not contexts:
        contexts = (".",)
    if dockerfile and len(contexts) > 1:
        raise click.UsageError("-f/--file goes with a single CONTEXT")
    if tag and len(contexts) > 1:
        raise click.UsageError("--tag goes with a single CONTEXT")
    args = _parse_build_args(build_args)
    client = connect()
    progress = _Progress(
        enabled=not quiet and not as_json and sys.stderr.isatty() and jobs == 1, verbose=verbose
    )
    options: dict[str, Any] = purge_kwargs(purge)

    def run(context: str) -> DiffSizeResult:
        return diff_size(
            context,
            dockerfile,
            builder=builder,
            strategy=strategy,
            build_args=args,
            keep_images=keep_images,
            tag=tag,
            verify=do_verify,
            rewrite_options=options,
            progress=progress,
            client=client,
        )

    try:
        results, failures = _run_contexts(contexts, run, jobs, keep_going=as_json)
    finally:
        progress.done()
    errors = [err for _, err in failures]
    if as_json:
        for r in results:
            click.echo(json.dumps(r.to_json(), indent=2, sort_keys=True))
        for context, err in failures:  # a failed build still prints its object
            failed = {"context": context, "error": str(err), "exit_code": err.exit_code}
            click.echo(json.dumps(failed, indent=2, sort_keys=True))
    else:
        colour = humanize.use_colour(sys.stdout)
        for r in results:
            if fmt == "md":
                click.echo(size_report.render_markdown(r))
            elif quiet:
                click.echo(size_report.saved_line(r))
            else:
                click.echo(size_report.render_table(r, colour=colour))
        if len(results) > 1:
            click.echo(size_report.render_summary(results))
    if html_file:
        from squasher.util.atomic import write_text_atomic

        write_text_atomic(html_file, size_report.render_html(results))
        if not quiet and not as_json:
            click.echo(f"wrote {html_file}", err=True)
    if errors:
        for failure in errors[1:]:
            click.echo(str(failure), err=True)
        raise errors[0]
    differing = [r for r in results if r.verify and not r.verify.get("equivalent", True)]
    if do_verify and differing:
        click.echo(REBUILD_HINT, err=True)
        raise CheckFailed("the squashed image differs from the original in unexpected ways")
