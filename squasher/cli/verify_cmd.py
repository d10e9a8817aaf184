"""``squasher verify ORIGINAL SQUASHED``: prove the squashed image is the original minus what was
meant to go. Exit 0 equivalent, 1 a real difference, 2 usage or engine error."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO, cast

import click

from squasher.cli.image_source import source_option

if TYPE_CHECKING:
    from squasher.inspect.streaming import ImageSource


@click.command(
    "verify",
    epilog=(
        "Example: squasher verify myapp:orig myapp:squashed --smoke 'python -c \"import app\"'\n\n"
        "Exit status: 0 equivalent (build noise and purged tools included), 1 a real "
        "difference, 2 usage or engine error."
    ),
)
@click.argument("original")
@click.argument("squashed")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option(
    "--smoke",
    "smoke",
    multiple=True,
    metavar="CMD",
    help="Run CMD in a container of each image (as `docker run IMAGE CMD`) and compare exit code "
    "and output. Repeatable.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    help="The rewrite report (`squasher rewrite --json`, or diff-size's `report` object): why each "
    "package was purged, and the runtime packages the build protected.",
)
@click.option(
    "--build-log",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help="The squashed image's build output: its squasher-protect lines name protected packages.",
)
@click.option(
    "--rebuild",
    metavar="IMAGE",
    help="A second build of the original (--no-cache), for what no rule explains: what differs "
    "between the two builds is noise, not blamed on the rewrite.",
)
@click.option(
    "--smoke-timeout",
    type=click.IntRange(min=1),
    default=120,
    show_default=True,
    help="Seconds each smoke command may run.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="List every expected and protected path, not counts."
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print nothing when the images are equivalent, else the one-line summary.",
)
@source_option
def command(
    original: str,
    squashed: str,
    as_json: bool,
    smoke: tuple[str, ...],
    report: str | None,
    build_log: TextIO | None,
    rebuild: str | None,
    smoke_timeout: int,
    verbose: bool,
    quiet: bool,
    source: str,
) -> None:
    """Compare two images: filesystems, config and --smoke runs; classify every difference.

    ORIGINAL and SQUASHED are names or ids the engine knows, or image archive files (`docker save`
    output, docker-archive or OCI image layout), which need no engine unless --smoke is given.
    """
    import json

    from squasher.inspect.verify import verify

    result = verify(
        original,
        squashed,
        smoke=smoke,
        report=report,
        smoke_timeout=smoke_timeout,
        build_log=build_log.read() if build_log is not None else None,
        rebuild=rebuild,
        source=cast("ImageSource", source),
    )
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    elif quiet:
        if result.exit_code != 0:
            click.echo(result.summary_line(), err=True)
    else:
        click.echo(result.format_text(verbose=verbose), nl=False)
    click.get_current_context().exit(result.exit_code)
