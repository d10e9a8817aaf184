"""``squasher completion [bash|zsh|fish]``: print click's completion script for the user's shell."""

from __future__ import annotations

import os

import click

SHELLS = ("bash", "zsh", "fish")

INSTALL_HINT = {
    "bash": "echo 'eval \"$(squasher completion bash)\"' >> ~/.bashrc",
    "zsh": "echo 'eval \"$(squasher completion zsh)\"' >> ~/.zshrc",
    "fish": "squasher completion fish > ~/.config/fish/completions/squasher.fish",
}


def detect_shell() -> str | None:
    """The user's shell: shellingham's answer, falling back to ``$SHELL``; None when neither is known."""
    try:
        import shellingham

        name, _path = shellingham.detect_shell()
    except Exception:  # shellingham raises ShellDetectionFailure, or RuntimeError off POSIX
        name = os.path.basename(os.environ.get("SHELL", ""))
    name = name.lower()
    return name if name in SHELLS else None


@click.command(
    "completion",
    epilog='Example: eval "$(squasher completion bash)"',
)
@click.argument("shell", required=False, type=click.Choice(SHELLS))
def command(shell: str | None) -> None:
    """Print the shell completion script (shell detected when not given)."""
    from click.shell_completion import get_completion_class

    from squasher.cli import cli
    from squasher.errors import SquasherError

    if shell is None:
        shell = detect_shell()
        if shell is None:
            raise SquasherError(
                "cannot tell which shell you use; name it: squasher completion bash|zsh|fish"
            )
    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one click knows
    comp = cls(cli, {}, "squasher", "_SQUASHER_COMPLETE")
    click.echo(comp.source())
    click.echo(f"# install: {INSTALL_HINT[shell]}", err=True)
