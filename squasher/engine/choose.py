"""Which builder a Dockerfile needs, and one ``build`` entry point that picks it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.engine.buildkit import build_buildkit
from squasher.engine.classic import build_classic
from squasher.engine.connect import engine_host, podman_version
from squasher.engine.progress import BuildResult
from squasher.engine.request import BuilderChoice, BuildRequest, takes_build_arguments
from squasher.errors import BuildFailed, EngineUnsupported

if TYPE_CHECKING:
    import docker


# flags the classic builder rejects: instruction -> flag names
_BUILDKIT_FLAGS: dict[str, frozenset[str]] = {
    "RUN": frozenset({"mount", "network", "security"}),
    "COPY": frozenset({"link", "chmod", "parents", "exclude"}),
    "ADD": frozenset({"link", "chmod", "checksum", "keep-git-dir", "parents", "exclude"}),
}
_SYNTAX_DIRECTIVE = re.compile(r"^#\s*syntax\s*=", re.IGNORECASE)
_INSTRUCTION = re.compile(r"^\s*(RUN|COPY|ADD)\s+(.*)$", re.IGNORECASE)
_FLAG = re.compile(r"--([a-z-]+)(?:=\S*)?")
# a word "<<EOF", "<<-EOF", "<<'EOF'" (BuildKit looks at whole words, like the shell)
_HEREDOC = re.compile(r"(?:^|\s)\d*<<-?([\"']?)[A-Za-z_][\w.-]*\1(?=\s|$)")


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined (comments inside continuations dropped)."""
    out: list[str] = []
    current = ""
    for raw in text.splitlines():
        if current and raw.lstrip().startswith("#"):
            continue
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        out.append(current + raw)
        current = ""
    if current:
        out.append(current)
    return out


def needs_buildkit(dockerfile_text: str) -> str | None:
    """Why this Dockerfile cannot be built by the classic builder, or None when it can."""
    lines = dockerfile_text.splitlines()
    for line in lines:
        if not line.startswith("#"):
            break
        if _SYNTAX_DIRECTIVE.match(line):
            return "it has a '# syntax=' directive"
    for line in _logical_lines(dockerfile_text):
        match = _INSTRUCTION.match(line)
        if not match:
            continue
        name, rest = match.group(1).upper(), match.group(2)
        words = rest.split()
        flags = 0
        for word in words:
            flag = _FLAG.fullmatch(word)
            if not flag:
                break
            flags += 1
            if flag.group(1) in _BUILDKIT_FLAGS[name]:
                return f"{name} --{flag.group(1)} needs BuildKit"
        # the JSON form holds no heredoc (BuildKit reads "<<" as text there)
        json_form = flags < len(words) and words[flags].startswith("[")
        if name in ("RUN", "COPY") and not json_form and _HEREDOC.search(rest):
            return f"{name} with a heredoc needs BuildKit"
    return None


def _refuse_buildkit_on_podman(client: docker.DockerClient, why: str) -> None:
    podman = podman_version(client)
    if podman is not None:
        raise EngineUnsupported(
            f"{why}, but the engine at {engine_host()} is Podman {podman}, which builds through "
            "buildah, not BuildKit: use --builder classic, without BuildKit-only instructions"
        )


def build_with(
    client: docker.DockerClient, request: BuildRequest, builder: BuilderChoice = "auto"
) -> BuildResult:
    """Build with the classic builder unless the Dockerfile needs BuildKit (or one is forced)."""
    if builder == "auto":
        path = Path(request.dockerfile)
        if not path.is_absolute():
            path = request.context / path
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise BuildFailed(f"cannot read {path}: {err.strerror}") from None
        why = needs_buildkit(text)
        builder = "buildkit" if why else "classic"
    else:
        why = (
            "a BuildKit build was asked for (--builder buildkit, diff-size's default)"
            if builder == "buildkit"
            else None
        )
    if builder == "buildkit":
        _refuse_buildkit_on_podman(client, why or "BuildKit was asked for")
        return build_buildkit(request)
    return build_classic(client, request)


#: ``build(client, context, dockerfile="Dockerfile", ..., builder="auto", ...)``: ``build_with``
#: taking the arguments of ``squasher.engine.request.build_arguments``
build = takes_build_arguments(build_with)
