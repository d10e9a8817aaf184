"""The ``squasher`` command: a thin click layer over the library.

Subcommands live one per module in this package and are loaded only when used, so
``squasher --help`` stays fast (the docker SDK is imported only by commands that need an engine).
"""

from __future__ import annotations

import importlib
import signal
import sys
from typing import Any

import click

from squasher import __version__
from squasher.errors import SquasherError

# name -> "module:function". One line per subcommand; keep it sorted.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": (
        "squasher.cli.analyze_cmd",
        "Show where an image's bytes go: layers, dive's efficiency, reclaimable bytes.",
    ),
    "completion": (
        "squasher.cli.completion_cmd",
        "Print the shell completion script (bash, zsh or fish).",
    ),
    "diff-size": (
        "squasher.cli.diff_size_cmd",
        "Build the original and the squashed image and show what was saved.",
    ),
    "parse": ("squasher.cli.parse_cmd", "Print the parsed Dockerfile (buildkit AST dump or JSON)."),
    "rewrite": (
        "squasher.cli.rewrite_cmd",
        "Fold a Dockerfile into one COPY + one RUN of a generated build.sh per stage.",
    ),
    "verify": ("squasher.cli.verify_cmd", "Check a squashed image against its original."),
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SquasherError as err:
            click.echo(f"squasher: {err}" if err.path is None else str(err), err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt as err:
            # Ctrl-C, or SIGTERM (see main): the builds were stopped and their debris removed
            terminated = isinstance(err, Terminated)
            click.echo(f"squasher: {'terminated' if terminated else 'interrupted'}", err=True)
            ctx.exit(143 if terminated else 130)
        except OSError as err:
            # the environment failed (a full disk, a read-only directory): one line, exit 2
            where = f": {err.filename}" if err.filename else ""
            click.echo(f"squasher: {err.strerror or err}{where}", err=True)
            ctx.exit(2)
        except Exception as err:
            # an engine error no command anticipated: one line, exit 2; anything else is a bug
            if type(err).__module__.split(".")[0] not in ("docker", "requests", "urllib3"):
                raise
            reason = " ".join(str(err).split())[:300] or type(err).__name__
            click.echo(f"squasher: Docker engine error: {reason}", err=True)
            ctx.exit(2)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: squasher rewrite Dockerfile && docker build -f Dockerfile.squashed .",
)
@click.version_option(__version__, prog_name="squasher")
def cli() -> None:
    """Fold a Dockerfile into one COPY + one RUN of a generated build.sh, and measure the result."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a cancelled CI job): unwinds and cleans up like Ctrl-C; exit 143."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="squasher")
    sys.exit(0)
