"""Images read from the engine's own storage are the images ``docker save`` streams: the same
entries, history and analysis, on images with every kind of entry a layer can hold; and anything
that does not check out (another driver, a changed file, a changed record) is not read from there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.engine.unix_api import UnixEngine, unix_socket_path
from squasher.errors import EngineUnavailable
from squasher.inspect.analysis import analyze
from squasher.inspect.layers import Image, final_filesystem
from squasher.inspect.storage import LayerTar, StorageUnavailable, locate, read_stored_image
from squasher.inspect.streaming import read_image

pytestmark = pytest.mark.engine

# every kind of entry, replaced, hard-linked, whited out and made opaque across layers
EVERY_KIND = f"""\
FROM {BUSYBOX}
RUN mkdir -p /app/old /app/keep /data \\
 && echo one > /app/old/a && echo two > /app/keep/b \\
 && head -c 300000 /dev/urandom > /data/blob && ln /data/blob /data/blob.link \\
 && ln -s ../data/blob /app/blob.sym && mkfifo /app/fifo && mknod /app/null c 1 3 \\
 && echo s > /app/suid && chmod 4755 /app/suid && chown 12:34 /app/keep/b \\
 && printf 'x' > "$(printf '/app/caf\\351')" && touch '/app/sp ace' /app/empty
RUN rm -rf /app/old && mkdir /app/old && echo new > /app/old/c \\
 && rm /bin/vi /data/blob.link && echo changed > /app/keep/b && chmod 0600 /app/keep/b
ENV STAGE=final
WORKDIR /app
RUN ln -sf /bin/busybox /app/tool && touch -d '2001-02-03 04:05:06' /app/empty
"""


def _engine() -> UnixEngine:
    path = unix_socket_path()
    if path is None:
        pytest.skip("the engine is not a local unix socket")
    return UnixEngine(path)


def _shape(image: Image) -> tuple[Any, ...]:
    """What an image read holds, without where each layer came from."""
    return (
        image.id,
        image.config,
        image.history,
        [
            (layer.diff_id, layer.entries, layer.whiteouts, layer.opaque_dirs)
            for layer in image.layers
        ],
    )


def _keep(path: str, _size: int) -> bool:
    return path.startswith(("/etc/", "/app/"))


def _built(docker_client: Any, tmp_path: Path, builder: str) -> Iterator[str]:
    from squasher.engine import Scratch

    (tmp_path / "Dockerfile").write_text(EVERY_KIND)
    with Scratch(docker_client) as scratch:
        yield scratch.build(str(tmp_path), builder=builder).image_id


@pytest.fixture(scope="module")
def every_kind(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _built(docker_client, tmp_path_factory.mktemp("every-kind"), "classic")


@pytest.fixture(scope="module")
def every_kind_buildkit(
    docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from _built(docker_client, tmp_path_factory.mktemp("every-kind-bk"), "buildkit")


@pytest.mark.parametrize("ref", ["every_kind", "every_kind_buildkit", BUSYBOX, DEBIAN])
def test_storage_reads_what_save_streams(ref: str, request: pytest.FixtureRequest) -> None:
    if ref.startswith("every_kind"):
        ref = request.getfixturevalue(ref)
    from_storage = read_image(ref, keep=_keep, source="storage")
    from_save = read_image(ref, keep=_keep, source="save")
    assert _shape(from_storage) == _shape(from_save)
    assert [layer.tar_path.split("/")[0] for layer in from_storage.layers] == ["overlay2"] * len(
        from_storage.layers
    )
    fs_storage, fs_save = final_filesystem(from_storage), final_filesystem(from_save)
    assert fs_storage.entries == fs_save.entries
    assert fs_storage.hardlink_groups == fs_save.hardlink_groups


def test_every_kind_is_there(every_kind: str) -> None:
    fs = final_filesystem(read_image(every_kind, keep=_keep, source="storage"))
    kinds = {e.kind for e in fs.entries.values()}
    assert {"file", "dir", "symlink", "char", "fifo"} <= kinds
    assert fs.entries["/app/suid"].mode == 0o4755
    assert fs.entries["/app/keep/b"].content == b"changed\n"
    assert "/app/old/a" not in fs.entries and "/bin/vi" not in fs.entries
    assert "/app/caf\udce9" in fs.entries  # a name that is not UTF-8


def test_analysis_is_the_same_from_both(every_kind: str) -> None:
    from_storage = analyze(every_kind, source="storage").to_json(top=50)
    from_save = analyze(every_kind, source="save").to_json(top=50)
    assert json.dumps(from_storage, sort_keys=True) == json.dumps(from_save, sort_keys=True)


def test_the_cli_gives_one_analysis_whichever_source(every_kind: str) -> None:
    squasher = [os.path.join(os.path.dirname(sys.executable), "squasher"), "analyze", "--json"]
    outputs = {}
    for source in ("auto", "storage", "save"):
        done = subprocess.run(
            [*squasher, "--source", source, every_kind], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        outputs[source] = done.stdout
    assert outputs["auto"] == outputs["storage"] == outputs["save"]


# ---------------------------------------------------------------------------------------------
# what does not check out is not read from the storage


def _copied_storage(attrs: dict[str, Any], root: Path) -> dict[str, Any]:
    """The image's config and layers copied under ``root`` in the engine's own layout; the
    inspect answer pointing there."""
    stored = locate(attrs)
    engine_root = Path(stored.layers[-1].diff_dir).parents[2]
    hexdigest = stored.image_id.partition(":")[2]
    config_rel = Path("image/overlay2/imagedb/content/sha256") / hexdigest
    (root / config_rel).parent.mkdir(parents=True)
    shutil.copy2(engine_root / config_rel, root / config_rel)
    for layer in stored.layers:
        entry = Path(layer.tar_split).parent
        shutil.copytree(entry, root / entry.relative_to(engine_root))
        diff = Path(layer.diff_dir)
        (root / diff.relative_to(engine_root)).parent.mkdir(parents=True)
        # cp -a: device nodes, whiteouts, owners and modes as they are
        subprocess.run(
            ["cp", "-a", str(diff), str(root / diff.relative_to(engine_root))],
            check=True,
            capture_output=True,
        )
    copied = json.loads(json.dumps(attrs))
    upper = Path(stored.layers[-1].diff_dir)
    copied["GraphDriver"]["Data"] = {"UpperDir": str(root / upper.relative_to(engine_root))}
    return copied


def test_a_changed_file_is_caught_by_the_layer_digest(every_kind: str, tmp_path: Path) -> None:
    attrs = _engine().inspect_image(every_kind)
    copied = _copied_storage(attrs, tmp_path)
    stored = locate(copied)
    assert _shape(read_stored_image(stored, every_kind, [], _keep)) == _shape(
        read_image(every_kind, keep=_keep, source="save")
    )
    target = next(
        path
        for layer in stored.layers
        if (path := Path(layer.diff_dir) / "app/keep/b").is_file()
        and path.read_bytes() == b"changed\n"
    )
    target.write_bytes(b"CHANGED\n")  # same size, other bytes
    with pytest.raises(StorageUnavailable, match="hashes differently"):
        read_stored_image(stored, every_kind, [], _keep)


def test_a_changed_record_or_config_is_not_read(every_kind: str, tmp_path: Path) -> None:
    attrs = _engine().inspect_image(every_kind)
    copied = _copied_storage(attrs, tmp_path)
    stored = locate(copied)
    # a layer store entry naming another layer
    (Path(stored.layers[0].tar_split).parent / "diff").write_text("sha256:" + "0" * 64)
    with pytest.raises(StorageUnavailable, match="is not layer"):
        locate(copied)
    # a config that is not the image's
    config = tmp_path / "image/overlay2/imagedb/content/sha256" / stored.image_id.partition(":")[2]
    config.write_bytes(config.read_bytes() + b" ")
    with pytest.raises(StorageUnavailable, match="does not hash to the image id"):
        locate(copied)


def test_a_file_shorter_than_its_record(every_kind: str, tmp_path: Path) -> None:
    attrs = _engine().inspect_image(every_kind)
    stored = locate(_copied_storage(attrs, tmp_path))
    blob = Path(stored.layers[1].diff_dir) / "data/blob"
    blob.write_bytes(blob.read_bytes()[:1000])
    tar = LayerTar(stored.layers[1])
    with pytest.raises(StorageUnavailable, match="shorter than its layer records"):
        while tar.read(1 << 20):
            pass


def test_other_drivers_and_remote_paths_are_not_storage() -> None:
    attrs = {"Id": "sha256:" + "a" * 64, "GraphDriver": {"Name": "vfs", "Data": {}}}
    with pytest.raises(StorageUnavailable, match="storage driver is vfs"):
        locate(attrs)
    attrs["GraphDriver"] = {"Name": "overlay2", "Data": {"UpperDir": "/nowhere/overlay2/x/diff"}}
    with pytest.raises(StorageUnavailable, match="cannot read"):
        locate(attrs)


def test_insisting_on_storage_that_is_not_there_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from squasher.inspect import streaming

    def elsewhere(attrs: dict[str, Any]) -> Any:
        raise StorageUnavailable("the storage driver is vfs")

    monkeypatch.setattr(streaming, "locate", elsewhere)
    with pytest.raises(EngineUnavailable, match="from the engine's storage: the storage driver"):
        read_image(BUSYBOX, source="storage")
    # "auto" streams docker save instead
    assert read_image(BUSYBOX, source="auto").layers


def test_verify_gives_one_verdict_whichever_source(every_kind: str) -> None:
    squasher = [os.path.join(os.path.dirname(sys.executable), "squasher"), "verify", "--json"]
    verdicts = []
    for source in ("storage", "save"):
        done = subprocess.run(
            [*squasher, "--source", source, BUSYBOX, every_kind], capture_output=True, text=True
        )
        assert done.returncode == 1, done.stderr  # the pair really differs
        verdicts.append(json.loads(done.stdout))
    assert verdicts[0] == verdicts[1]
