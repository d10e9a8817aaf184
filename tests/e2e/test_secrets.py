"""Secrets: build-arg values and ``RUN --mount=type=secret`` contents never reach build.sh, the
staging layer or the image's files, and secret contents never reach ``docker history`` — checked
by scanning ``docker save`` of real squashed images for marker values.

What the builders themselves do (found on the 20.10 engine, both builders): every build argument
in effect is written into the history entry of each RUN (``|1 TOKEN=value /bin/sh -c ...``; the
classic builder also into each layer's v1 json ``container_config``). build.sh's RUN is a RUN,
so a build-arg value shows in ``docker history`` of the squashed image exactly as it does in the
original's — there is nothing a rewrite can do about that short of dropping the ARG. squasher
therefore warns when an ARG looks like a secret (names as BuildKit's SecretsUsedInArgOrEnv
check), and these tests pin that the squashed image records it in no more places than the
original does, and nowhere else.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

from squasher.engine import Scratch
from squasher.rewriting import rewrite

pytestmark = pytest.mark.engine

BUILDKIT_CLI = "/usr/bin/docker"  # the 20.10 CLI drives the engine's builtin BuildKit


def _dockerfile(secret_mount: bool) -> str:
    lines = [
        f"FROM {BUSYBOX}",
        "ARG GITHUB_TOKEN",
        "ARG PLAIN=default",
        'RUN echo "token length ${#GITHUB_TOKEN}" > /token-len && echo "$PLAIN" > /plain',
    ]
    if secret_mount:
        lines.append("RUN --mount=type=secret,id=npmrc wc -c < /run/secrets/npmrc > /secret-len")
    lines += ["COPY app.txt /app.txt", "RUN cat /app.txt > /app-copy && rm /app.txt", ""]
    return "\n".join(lines)


def _save(client: Any, ref: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(config and manifest files, every regular file of every layer) of ``docker save REF``."""
    raw = b"".join(client.api.get_image(ref))
    meta: dict[str, bytes] = {}
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as outer:
        for member in outer.getmembers():
            data = outer.extractfile(member)
            if data is None:
                continue
            content = data.read()
            if member.name.endswith("layer.tar"):
                with tarfile.open(fileobj=io.BytesIO(content)) as layer:
                    for entry in layer.getmembers():
                        f = layer.extractfile(entry)
                        if f is not None:
                            files[f"{member.name}:{entry.name}"] = f.read()
            else:
                meta[member.name] = content
    return meta, files


def _history(client: Any, ref: str) -> str:
    return "\n".join(str(h.get("CreatedBy", "")) for h in client.api.history(ref))


def _build_buildkit(
    context: Path, dockerfile: str, tag: str, args: dict[str, str], secret: Path
) -> str:
    cmd = [
        BUILDKIT_CLI,
        "build",
        "-q",
        "-f",
        str(context / dockerfile),
        "-t",
        tag,
        "--secret",
        f"id=npmrc,src={secret}",
    ]
    for k, v in args.items():
        cmd += ["--build-arg", f"{k}={v}"]
    proc = subprocess.run(
        [*cmd, str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return tag


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_build_args_and_secret_mounts_stay_out_of_the_squashed_image(
    builder: str, tmp_path: Path, docker_client: Any
) -> None:
    if builder == "buildkit" and not Path(BUILDKIT_CLI).exists():
        pytest.skip("no 20.10 docker CLI for BuildKit")
    arg_marker = f"argmark{uuid.uuid4().hex}"
    secret_marker = f"secretmark{uuid.uuid4().hex}"
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    secret_mount = builder == "buildkit"
    (ctx / "Dockerfile").write_text(_dockerfile(secret_mount))
    (ctx / "app.txt").write_text("app\n")
    secret = tmp_path / "npmrc"  # outside the context, as secrets are
    secret.write_text(f"//registry/:_authToken={secret_marker}\n")

    result = rewrite(ctx / "Dockerfile", builder=builder)
    assert result.report is not None
    warnings = "\n".join(result.report.warnings)
    assert "Dockerfile:2: ARG GITHUB_TOKEN looks like a secret" in warnings
    assert "PLAIN" not in warnings
    result.write()
    for rel, data in result.files.items():  # generated before any value exists; check anyway
        assert arg_marker.encode() not in data and secret_marker.encode() not in data, rel

    args = {"GITHUB_TOKEN": arg_marker, "PLAIN": "plain-value"}
    with Scratch(docker_client) as scratch:
        token = uuid.uuid4().hex[:12]
        if builder == "classic":
            original = scratch.build(
                ctx, "Dockerfile", args, f"sq-secrets/{token}:orig", builder="classic"
            ).image_id
            squashed = scratch.build(
                ctx, "Dockerfile.squashed", args, f"sq-secrets/{token}:sq", builder="classic"
            ).image_id
        else:
            original = _build_buildkit(ctx, "Dockerfile", f"sq-secrets/{token}:orig", args, secret)
            scratch.track_image(original)
            squashed = _build_buildkit(
                ctx, "Dockerfile.squashed", f"sq-secrets/{token}:sq", args, secret
            )
            scratch.track_image(squashed)

        # the value did reach the step that needed it
        status, out = scratch.run(squashed, ["cat", "/token-len", "/plain"])
        assert status == 0 and out.split() == [
            "token",
            "length",
            str(len(arg_marker)),
            "plain-value",
        ]
        if secret_mount:
            status, out = scratch.run(squashed, ["cat", "/secret-len"])
            assert status == 0 and int(out) == len(secret.read_text())

        meta, files = _save(docker_client, squashed)
        # nothing in any layer: not in build.sh, not in the staging layer, not in the image's files
        for name, content in files.items():
            assert arg_marker.encode() not in content, name
            assert secret_marker.encode() not in content, name
        # the secret's content is nowhere at all, history and configs included
        for name, content in meta.items():
            assert secret_marker.encode() not in content, name
        assert secret_marker not in _history(docker_client, squashed)
        # the config's Env, Labels and Cmd do not carry the build arg
        config = docker_client.api.inspect_image(squashed)["Config"]
        for key in ("Env", "Labels", "Cmd", "Entrypoint"):
            assert arg_marker not in json.dumps(config.get(key)), key
        # history: the builders record build args before every RUN; the squashed image in no more
        # entries than the original
        squashed_history = _history(docker_client, squashed)
        original_history = _history(docker_client, original)
        assert 0 < squashed_history.count(arg_marker) <= original_history.count(arg_marker)
        assert f"GITHUB_TOKEN={arg_marker}" in squashed_history  # what the warning says happens


def test_classic_staging_warns_about_unread_context_files_and_diff_size_ships_none(
    tmp_path: Path, docker_client: Any
) -> None:
    """The classic builder has no per-Dockerfile ignore file, so the squashed Dockerfile's staging
    ``COPY .`` takes the whole context into a layer: a file the original never copies lands in
    the squashed image. ``rewrite`` names such files (and says which look like secrets);
    ``diff-size`` builds from an exact context and ships none of them."""
    marker = f"ctxsecret{uuid.uuid4().hex}"
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nCOPY app.txt /app.txt\nRUN cat /app.txt > /copy && rm /app.txt\n"
    )
    (ctx / "app.txt").write_text("app\n")
    (ctx / "credentials.txt").write_text(marker + "\n")
    result = rewrite(ctx / "Dockerfile", builder="classic")
    assert result.report is not None
    warning = [w for w in result.report.warnings if "no step reads" in w]
    assert len(warning) == 1 and "credentials.txt (these look like secrets)" in warning[0]
    # with the file in .dockerignore the warning goes away
    (ctx / ".dockerignore").write_text("credentials.txt\n")
    again = rewrite(ctx / "Dockerfile", builder="classic")
    assert again.report is not None
    assert not [w for w in again.report.warnings if "no step reads" in w]
    (ctx / ".dockerignore").unlink()

    from squasher.measure.diff_size import diff_size

    sizes = diff_size(ctx, builder="classic", keep_images=True, analyze=False, client=docker_client)
    try:
        assert sizes.squashed.image is not None
        _meta, files = _save(docker_client, sizes.squashed.image)
        assert not [name for name, content in files.items() if marker.encode() in content]
        assert any(name.endswith(":copy") for name in files)  # the build did run
    finally:
        for image in (sizes.original.image, sizes.squashed.image):
            if image:
                docker_client.api.remove_image(image, force=True)
