"""``squasher rewrite``: write Dockerfile.squashed and the scripts it runs."""

from __future__ import annotations

from typing import Any

import click

from squasher.cli.purge_options import purge_kwargs, purge_options
from squasher.util.builders import BUILDERS


@click.command(
    "rewrite",
    epilog=(
        "\b\nExamples:\n"
        "  squasher rewrite                           # ./Dockerfile -> ./Dockerfile.squashed\n"
        "  squasher rewrite -o - app/Dockerfile       # print the squashed Dockerfile\n"
        "  squasher rewrite --builder classic --check # pre-commit: exit 1 when out of date\n"
        "  docker build -f Dockerfile.squashed .      # then build it as usual\n\n"
        "Exit status: 0 done, 1 --check found differences, 2 the file cannot be squashed\n"
        "(PATH:LINE: reason on stderr; nothing is written)."
    ),
)
@click.option(
    "-o",
    "--output",
    metavar="PATH",
    help="Where to write the squashed Dockerfile ('-' prints it). Default: DOCKERFILE.squashed.",
)
@click.option(
    "--context",
    type=click.Path(file_okay=False),
    help="The build context (where .squasher/ is written). Default: the Dockerfile's directory.",
)
@click.option(
    "--builder",
    type=click.Choice(sorted(BUILDERS)),
    default="buildkit",
    show_default=True,
    help="The builder whose semantics the rewrite reproduces and that builds the output "
    "(BuildKit: Docker's default since 23.0, or DOCKER_BUILDKIT=1; the default form then needs it).",
)
@click.option(
    "--strategy",
    type=click.Choice(["script", "mount", "stages"]),
    default=None,
    help="mount: RUN --mount=type=bind of build.sh and the files it reads (BuildKit only; "
    "nothing staged stays in a layer); script: the RUN carries build.sh inline, or, when it "
    "reads context files, a COPY stages them (their bytes stay in the COPY's layer: stored "
    "twice); stages: the original stage as a build stage, a final stage copies what it changed. "
    "Default: mount with --builder buildkit, script with --builder classic.",
)
@click.option(
    "--target",
    metavar="STAGE",
    help="--strategy stages: the stage that becomes the image (default: the last).",
)
@click.option(
    "--inspect-base",
    is_flag=True,
    help="Read the base images' USER, WORKDIR, ENV and OS from the Docker engine (DOCKER_HOST); "
    "nothing is pulled.",
)
@purge_options
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the files on disk differ.")
@click.option("--json", "as_json", is_flag=True, help="Print the rewrite report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.argument("dockerfile", default="Dockerfile", type=click.Path(dir_okay=False))
def command(
    output: str | None,
    context: str | None,
    builder: str,
    strategy: str | None,
    target: str | None,
    inspect_base: bool,
    check: bool,
    as_json: bool,
    quiet: bool,
    dockerfile: str,
    **purge: Any,
) -> None:
    """Rewrite DOCKERFILE (default ./Dockerfile) into squash-by-script form."""
    import json
    import sys

    from squasher.errors import CheckFailed
    from squasher.rewriting import rewrite

    to_stdout = output == "-"
    base_info = None
    if inspect_base:
        from squasher.engine import connect
        from squasher.plan.base import engine_base_info

        base_info = engine_base_info(connect())
    result = rewrite(
        dockerfile,
        context=context,
        builder=builder,
        strategy=strategy,
        output=None if to_stdout else output,
        base_info=base_info,
        target=target,
        **purge_kwargs(purge),
    )
    report = result.report
    assert report is not None
    if check:
        diffs = result.differences()
        if diffs:
            for d in diffs:
                click.echo(f"squasher: out of date: {d}", err=True)
            raise CheckFailed(f"{len(diffs)} file(s) would change; run squasher rewrite")
        if not quiet:
            click.echo(f"{result.output_path}: up to date", err=True)
        return
    result.write(dockerfile=not to_stdout)
    if to_stdout:
        sys.stdout.write(result.dockerfile)
        sys.stdout.flush()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2), err=to_stdout)
    elif not quiet:
        click.echo(report.summary(), err=True)
