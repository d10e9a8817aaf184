"""``squasher parse``: print a parsed Dockerfile."""

from __future__ import annotations

import click


@click.command(
    "parse",
    epilog=(
        "\b\nExamples:\n"
        "  squasher parse Dockerfile                # the official parser's AST dump\n"
        "  squasher parse --format json Dockerfile  # stages, instructions, line spans\n\n"
        "Exit status 2 and PATH:LINE: message on stderr when the file does not parse."
    ),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["buildkit", "json"]),
    default="buildkit",
    show_default=True,
    help="buildkit: one (keyword ...) line per instruction, as the official parser's dump; "
    "json: stages and instructions with line spans, flags, args and heredocs.",
)
@click.argument("dockerfile", type=click.Path(dir_okay=False, allow_dash=True))
def command(fmt: str, dockerfile: str) -> None:
    """Parse DOCKERFILE (- for standard input) and print it."""
    import sys

    from squasher.errors import SquasherError
    from squasher.parse import parse_file, parse_text
    from squasher.parse.dump import dump_buildkit, dump_json

    if dockerfile == "-":
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        df = parse_text(text, "-")
    else:
        try:
            df = parse_file(dockerfile)
        except OSError as err:
            raise SquasherError(f"cannot read: {err.strerror or err}", dockerfile) from None
    out = dump_buildkit(df) if fmt == "buildkit" else dump_json(df)
    sys.stdout.buffer.write(out.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
