"""``--strategy stages`` on the real engine: the image built from the stages form is the
original's (``squasher verify``), on both builders; its size is the original's, not the staged
copy twice; a rebuild after an application change keeps the lower delta layers' digests.

Builds are shared per module (busybox wherever the case allows; one small apt case)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.engine import Scratch
from squasher.inspect.layers import final_filesystem
from squasher.inspect.streaming import read_image
from squasher.inspect.verify import verify
from squasher.measure.diff_size import diff_size
from squasher.rewriting import rewrite

pytestmark = pytest.mark.engine
GOLDEN = Path(__file__).parent / "golden" / "stages"
BUILDERS = ("classic", "buildkit")


def _squash(ctx: Path, **options: Any) -> Path:
    result = rewrite(ctx / "Dockerfile", strategy="stages", **options)
    result.write()
    return ctx / "Dockerfile.squashed"


def _pair(
    scratch: Scratch, ctx: Path, builder: str, target: str | None = None, nocache: bool = False
) -> tuple[str, str, str]:
    """(original id, stages id, the stages build's log)."""
    chosen: Any = "auto" if builder == "classic" else "buildkit"
    original = scratch.build(ctx, "Dockerfile", builder=chosen, target=target)
    squashed = scratch.build(
        ctx,
        "Dockerfile.squashed",
        builder=builder,
        target=target,
        nocache=nocache,  # type: ignore[arg-type]
    )
    return original.image_id, squashed.image_id, "\n".join(squashed.log)


def _unexpected(result: Any) -> list[str]:
    return [f"{d.change} {d.path}: {', '.join(d.details)}" for d in result.of("unexpected")]


@pytest.fixture(scope="module")
def module_scratch(docker_client: Any) -> Iterator[Scratch]:
    with Scratch(docker_client) as scratch:
        yield scratch


@pytest.fixture(scope="module")
def busybox_steps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUN/ENV/ARG/WORKDIR/SHELL steps, USER set mid-file, a base file and directory removed,
    a symlink, a hard link, a setuid file, a directory's mode changed."""
    ctx = tmp_path_factory.mktemp("stages") / "busybox-steps"
    shutil.copytree(GOLDEN / "busybox-steps", ctx, ignore=shutil.ignore_patterns("expected"))
    _squash(ctx)
    return ctx


@pytest.mark.parametrize("builder", BUILDERS)
def test_busybox_steps_verify_equivalent(
    module_scratch: Scratch, busybox_steps: Path, builder: str, docker_client: Any
) -> None:
    original, squashed, log = _pair(module_scratch, busybox_steps, builder, nocache=True)
    result = verify(original, squashed, client=docker_client, smoke=["cat /app/greeting"])
    assert result.equivalent, _unexpected(result)
    assert not result.differences
    assert "squasher-removed\t/bin/vi" in log and "squasher-removed\t/home" in log
    sizes = [docker_client.api.inspect_image(i)["Size"] for i in (original, squashed)]
    assert sizes[1] <= sizes[0], sizes  # the removal list and the layers' marks weigh nothing
    attrs = docker_client.api.inspect_image(squashed)["Config"]
    assert attrs["User"] == "root:root" and attrs["WorkingDir"] == "/app/sub"
    assert attrs["Shell"] == ["/bin/sh", "-ec"]


@pytest.mark.parametrize("builder", BUILDERS)
def test_copied_bytes_are_stored_once(
    module_scratch: Scratch, tmp_path: Path, builder: str, docker_client: Any
) -> None:
    """A 20 MB file COPY'd before a RUN: the stages image is the original's size (the script
    form stores such a file twice)."""
    (tmp_path / "assets.bin").write_bytes(os.urandom(20 * 1024 * 1024))
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\n"
        "COPY assets.bin /srv/assets.bin\n"
        "RUN chmod 600 /srv/assets.bin && echo ready > /srv/ready\n"
        'CMD ["cat", "/srv/ready"]\n'
    )
    _squash(tmp_path)
    original, squashed, _log = _pair(module_scratch, tmp_path, builder)
    sizes = [docker_client.api.inspect_image(i)["Size"] for i in (original, squashed)]
    assert sizes[1] <= sizes[0], sizes
    result = verify(original, squashed, client=docker_client)
    assert result.equivalent, _unexpected(result)


def _caps_tar(path: Path) -> None:
    """A tar of one executable carrying a security.capability xattr (cap_net_raw, effective),
    as a pax header: ADD extracts it with the xattr on both builders."""
    import io
    import struct
    import tarfile

    data = b"#!/bin/sh\necho caps\n"
    value = struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0)
    info = tarfile.TarInfo("ping")
    info.size, info.mode = len(data), 0o755
    info.pax_headers = {
        "SCHILY.xattr.security.capability": value.decode("utf-8", "surrogateescape")
    }
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("builder", BUILDERS)
def test_security_capability_survives(
    module_scratch: Scratch, tmp_path: Path, builder: str, docker_client: Any
) -> None:
    """A file with a security.capability xattr keeps it through the delta (the build stage's
    hard link copies it up with its xattrs, COPY --from keeps them)."""
    _caps_tar(tmp_path / "caps.tar")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nADD caps.tar /usr/local/bin/\nRUN echo done > /done\n"
    )
    _squash(tmp_path)
    original, squashed, _log = _pair(module_scratch, tmp_path, builder)
    for image in (original, squashed):
        fs = final_filesystem(read_image(image, client=docker_client))
        names = [name for name, _value in fs.entries["/usr/local/bin/ping"].xattrs]
        assert "security.capability" in names, (image, names)
    result = verify(original, squashed, client=docker_client)
    assert result.equivalent, _unexpected(result)


@pytest.fixture(scope="module")
def multistage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ctx = tmp_path_factory.mktemp("stages") / "multistage-target"
    shutil.copytree(GOLDEN / "multistage-target", ctx, ignore=shutil.ignore_patterns("expected"))
    _squash(ctx, target="app")
    return ctx


@pytest.mark.parametrize("builder", BUILDERS)
def test_multistage_target_and_later_stage(
    module_scratch: Scratch, multistage: Path, builder: str, docker_client: Any
) -> None:
    """--target app builds the final stage; the later stage copies from it by name and index."""
    original, squashed, _log = _pair(module_scratch, multistage, builder, target="app")
    result = verify(original, squashed, client=docker_client, smoke=["cat /opt/both"])
    assert result.equivalent, _unexpected(result)
    history = docker_client.api.history(squashed)
    assert not any("begin.sh" in (h.get("CreatedBy") or "") for h in history)
    original, squashed, _log = _pair(module_scratch, multistage, builder, target="extra")
    result = verify(original, squashed, client=docker_client, smoke=["cat /both /artifact"])
    assert result.equivalent, _unexpected(result)


def _layers(client: Any, image: str) -> list[str]:
    return list(client.api.inspect_image(image)["RootFS"]["Layers"])


@pytest.fixture(scope="module")
def apt_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ctx = tmp_path_factory.mktemp("stages") / "apt-purge"
    shutil.copytree(GOLDEN / "apt-purge", ctx, ignore=shutil.ignore_patterns("expected"))
    _squash(ctx)
    return ctx


@pytest.fixture(scope="module")
def apt_built(module_scratch: Scratch, apt_case: Path) -> tuple[str, str, str]:
    return _pair(module_scratch, apt_case, "classic")


def test_apt_compiler_purged_and_equivalent(
    apt_built: tuple[str, str, str], docker_client: Any, module_scratch: Scratch
) -> None:
    original, squashed, log = apt_built
    result = verify(original, squashed, client=docker_client, build_log=log, smoke=["hello"])
    assert result.equivalent, _unexpected(result)
    assert "gcc-12" in result.purged_packages or "gcc" in result.purged_packages
    sizes = [docker_client.api.inspect_image(i)["Size"] for i in (original, squashed)]
    assert sizes[1] < sizes[0] * 0.6, sizes
    _code, out = module_scratch.run(squashed, ["sh", "-c", "command -v gcc || echo none"])
    assert out.strip() == "none"


@pytest.fixture(scope="module")
def apt_built_buildkit(module_scratch: Scratch, apt_case: Path) -> tuple[str, str, str]:
    return _pair(module_scratch, apt_case, "buildkit")


@pytest.mark.slow
def test_apt_compiler_purged_and_equivalent_buildkit(
    apt_built_buildkit: tuple[str, str, str], docker_client: Any
) -> None:
    original, squashed, log = apt_built_buildkit
    result = verify(original, squashed, client=docker_client, build_log=log, smoke=["hello"])
    assert result.equivalent, _unexpected(result)
    assert result.purged_packages
    sizes = [docker_client.api.inspect_image(i)["Size"] for i in (original, squashed)]
    assert sizes[1] < sizes[0] * 0.6, sizes


@pytest.mark.parametrize("builder", ["classic", pytest.param("buildkit", marks=pytest.mark.slow)])
def test_deploy_delta_keeps_lower_layers(
    builder: str, apt_case: Path, module_scratch: Scratch, docker_client: Any,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    """Change the application's source, rebuild with the cache: the base and the packages and
    libraries layers come out with the same digests, the application layer differs and holds
    little more than the application (compiled modules and commands go with their packages)."""
    fixture = "apt_built" if builder == "classic" else "apt_built_buildkit"
    _original, first, _log = request.getfixturevalue(fixture)
    source = apt_case / "hello.c"
    source.write_text(source.read_text().replace("from C", f"from C ({builder})", 1))
    chosen: Any = builder
    second = module_scratch.build(apt_case, "Dockerfile.squashed", builder=chosen).image_id
    before, after = _layers(docker_client, first), _layers(docker_client, second)
    assert len(before) == len(after)
    base = len(_layers(docker_client, DEBIAN))
    # base layers, then packages, libraries, application, the removals' RUN
    assert before[: base + 2] == after[: base + 2]
    assert before[base + 2] != after[base + 2]
    sizes = {layer.diff_id: layer.size for layer in read_image(second, client=docker_client).layers}
    assert sizes[after[base + 2]] < 1 << 20, sizes[after[base + 2]]
    _code, out = module_scratch.run(second, ["hello"])
    assert f"({builder})" in out


def _large_copy_case(root: Path, builder: str) -> Path:
    """2 MB of assets COPY'd as a non-root USER before the application's source."""
    ctx = root / f"large-copy-{builder}"
    (ctx / "assets" / "tiles").mkdir(parents=True)
    for i in range(4):
        (ctx / "assets" / "tiles" / f"tile-{i}.bin").write_bytes(bytes([i]) * (512 * 1024))
    # unique to the run, so that no earlier build serves the first one from its cache (the
    # test reads the summary the last step prints)
    (ctx / "assets" / "config.txt").write_text(f"mode=fast\nrun={uuid.uuid4().hex}\n")
    (ctx / "assets" / "draft.txt").write_text("not shipped\n")
    (ctx / "app.sh").write_text("ls -l /srv/assets/tiles | wc -l\necho app\n")
    (ctx / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\n"
        "RUN mkdir -p /app && chown 1000:1000 /app\n"
        "USER 1000:1000\n"
        "COPY --chown=1000:1000 assets/ /srv/assets/\n"
        "RUN chmod 600 /srv/assets/config.txt && rm /srv/assets/draft.txt\n"
        "COPY app.sh /app/\n"
        "RUN sh /app/app.sh > /app/out && id -u >> /app/out\n"
        'CMD ["cat", "/app/out"]\n'
    )
    return ctx


@pytest.mark.parametrize("builder", BUILDERS)
def test_a_large_copy_gets_a_layer_that_survives_a_deploy(
    module_scratch: Scratch, tmp_path: Path, builder: str, docker_client: Any
) -> None:
    """A COPY of at least 1 MiB of the context gets a layer of its own, between the libraries
    and the application, with what it placed and no later step changed (a file chmod'ed later
    goes with the application, a removed one nowhere): after a change of the application's
    source the rebuilt image has the same layers up to and including it, and the application
    layer holds only the application. The steps that record what the COPY placed run as root
    and give the USER back."""
    ctx = _large_copy_case(tmp_path, builder)
    squashed_file = _squash(ctx)
    text = squashed_file.read_text()
    assert "COPY --from=squasher-build /.squasher-delta/copy-4/ /" in text
    assert 'mark-copy.sh", "after", "4"]\nUSER 1000:1000\nRUN chmod' in text
    original, first, log = _pair(module_scratch, ctx, builder)
    assert "squasher-delta\tcopy-4\t4\t2097152" in log, log
    result = verify(original, first, client=docker_client)
    assert result.equivalent, _unexpected(result)
    _code, out = module_scratch.run(first, [])
    assert out.split() == ["5", "app", "1000"]

    (ctx / "app.sh").write_text((ctx / "app.sh").read_text() + "echo changed\n")
    second = module_scratch.build(ctx, "Dockerfile.squashed", builder=builder).image_id  # type: ignore[arg-type]
    before, after = _layers(docker_client, first), _layers(docker_client, second)
    base = len(_layers(docker_client, BUSYBOX))
    # base, packages, libraries, the COPY's layer; then the application and the removals' RUN
    assert before[: base + 3] == after[: base + 3]
    assert before[base + 3] != after[base + 3]
    sizes = {layer.diff_id: layer.size for layer in read_image(second, client=docker_client).layers}
    assert sizes[after[base + 2]] >= 2 << 20
    assert sizes[after[base + 3]] < 64 << 10, sizes[after[base + 3]]
    _code, out = module_scratch.run(second, [])
    assert out.split() == ["5", "app", "changed", "1000"]


# every path of the image's /app with its mode, and what the build read of the context
_APP_LISTING = (
    "cd /app && find . | sort | while read -r p; do "
    'if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; '
    'else echo "$p $(stat -c %a "$p")"; fi; done; cat /copied /artifact'
)


def _whole_context(root: Path, builder: str) -> Path:
    """A ``COPY . .`` after a first stage the build stage copies from by index."""
    ctx = root / f"whole-context-{builder}"
    (ctx / "d" / "sub").mkdir(parents=True)
    (ctx / "d").chmod(0o775)
    (ctx / "d" / "sub" / "f").write_text("x\n")
    (ctx / "a.txt").write_text("data\n")
    (ctx / "link").symlink_to("a.txt")
    (ctx / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN echo built > /artifact\n"
        f"FROM {BUSYBOX}\nWORKDIR /app\nCOPY . .\nCOPY --from=0 /artifact /artifact\n"
        "RUN cat a.txt d/sub/f > /copied\n"
    )
    return ctx


@pytest.mark.parametrize("builder", BUILDERS)
def test_copy_of_the_whole_context_leaves_squashers_files_out(
    module_scratch: Scratch, tmp_path: Path, builder: str, docker_client: Any
) -> None:
    """The build stage's ``COPY . .`` reads squasher's copy of the context: .squasher/,
    Dockerfile.squashed and its ignore file never reach the image; the 0775 directory and the
    link arrive as the original has them, and ``--from=0`` still names the first stage."""
    ctx = _whole_context(tmp_path, builder)
    clean = tmp_path / "clean"
    shutil.copytree(ctx, clean, symlinks=True)
    chosen: Any = "auto" if builder == "classic" else "buildkit"
    original = module_scratch.build(clean, "Dockerfile", builder=chosen).image_id
    text = _squash(ctx).read_text()
    assert "COPY --from=squasher-context . .\n" in text and "COPY --from=1 /artifact" in text
    assert (ctx / ".squasher" / "context.tar").is_file()
    squashed = module_scratch.build(ctx, "Dockerfile.squashed", builder=chosen).image_id
    listings = []
    for image in (original, squashed):
        status, out = module_scratch.run(
            image, ["-c", _APP_LISTING], entrypoint="/bin/sh", user="0"
        )
        assert status == 0, out
        listings.append(out)
    assert ".squasher" not in listings[1] and "Dockerfile.squashed" not in listings[1]
    assert "./d 775" in listings[1] and "./link -> a.txt" in listings[1]
    assert "built" in listings[1]
    assert listings[1] == listings[0]
    result = verify(original, squashed, client=docker_client)
    assert result.equivalent, _unexpected(result)
    assert not result.differences

    # diff-size where the rewrite's files now lie: its exact context holds what the build
    # stage reads (squasher's copy of the context too), and both images are the same
    measured = diff_size(
        ctx, builder=builder, strategy="stages", client=docker_client, verify=True, analyze=False
    )
    assert measured.verify is not None and measured.verify["equivalent"], measured.verify
    assert measured.squashed.size == measured.original.size
