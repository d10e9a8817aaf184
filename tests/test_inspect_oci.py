"""OCI image layout archives (skopeo's oci-archive, Docker 25+ ``docker save``), read like the
docker-archive of the same layers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from test_inspect_helpers import Item, d, f, hard, layer_tar, save_archive, sym, wh

from squasher.inspect.analysis import analyze
from squasher.inspect.layers import ImageArchiveError, final_filesystem
from squasher.inspect.saved import is_archive_path, read_archive_files, read_image_archive

LAYERS: list[list[Item]] = [
    [d("etc"), f("etc/passwd", "root:x:0:0\n"), f("bin/tool", b"\x7fELF" * 50, mode=0o755)],
    [f("app/data", b"x" * 3000), hard("app/data2", "app/data"), sym("app/cur", "data")],
    [wh("bin/tool"), f("etc/passwd", "root:x:0:0\nnobody:x:65534:65534\n")],
]

_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_INDEX = "application/vnd.oci.image.index.v1+json"


def _blob(blobs: dict[str, bytes], data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    blobs[f"blobs/sha256/{digest}"] = data
    return {"digest": f"sha256:{digest}", "size": len(data)}


def oci_archive(
    layers: list[list[Item]],
    *,
    compress: bool = False,
    nested: bool = False,
    docker_manifest: bool = False,
    zstd: bool = False,
) -> bytes:
    """An OCI image layout archive: blobs first, then index.json and oci-layout (skopeo's order)."""
    blobs: dict[str, bytes] = {}
    tars = [layer_tar(items) for items in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {
            "type": "layers",
            "diff_ids": ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars],
        },
        "history": [{"created_by": f"/bin/sh -c layer {i}"} for i in range(len(tars))],
    }
    layer_descs = []
    for data in tars:
        if zstd:
            data = b"\x28\xb5\x2f\xfd" + data
        elif compress:
            data = gzip.compress(data, mtime=0)
        layer_descs.append(_blob(blobs, data))
    config_desc = _blob(blobs, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": _MANIFEST, "config": config_desc}
    manifest["layers"] = layer_descs
    manifest_desc = {"mediaType": _MANIFEST, **_blob(blobs, json.dumps(manifest).encode())}
    name = {"annotations": {"io.containerd.image.name": "docker.io/library/test:latest"}}
    if nested:
        attestation = {  # Docker 25's provenance: not an image, and its blob is not stored
            "mediaType": _MANIFEST,
            "digest": "sha256:" + "0" * 64,
            "size": 1,
            "platform": {"architecture": "unknown", "os": "unknown"},
        }
        inner = {"schemaVersion": 2, "manifests": [attestation, manifest_desc]}
        top = [{"mediaType": _INDEX, **_blob(blobs, json.dumps(inner).encode()), **name}]
    else:
        top = [{**manifest_desc, **name}]
    files = dict(sorted(blobs.items()))
    if docker_manifest:
        files["manifest.json"] = json.dumps(
            [
                {
                    "Config": f"blobs/sha256/{config_desc['digest'][7:]}",
                    "RepoTags": ["test:latest"],
                    "Layers": [f"blobs/sha256/{x['digest'][7:]}" for x in layer_descs],
                }
            ]
        ).encode()
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": top}).encode()
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _facts(data: bytes) -> Any:
    image = read_image_archive(io.BytesIO(data))
    fs = final_filesystem(image)
    return (
        [
            (layer.diff_id, layer.entries, layer.whiteouts, layer.instruction)
            for layer in image.layers
        ],
        fs.entries,
        fs.hardlink_groups,
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"compress": True}, {"nested": True}, {"docker_manifest": True, "compress": True}],
    ids=["plain", "gzip", "nested-index", "with-manifest-json"],
)
def test_oci_layout_reads_like_the_docker_archive(options: dict[str, bool]) -> None:
    assert _facts(oci_archive(LAYERS, **options)) == _facts(save_archive(LAYERS))


def test_oci_layout_names_and_id() -> None:
    data = oci_archive(LAYERS, nested=True)
    image = read_image_archive(io.BytesIO(data))
    assert image.repo_tags == ["docker.io/library/test:latest"]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        configs = []
        for member in tar.getmembers():
            body = tar.extractfile(member)
            if body is not None and b"rootfs" in body.read():
                configs.append(member.name)
    assert image.id == "sha256:" + configs[0].rsplit("/", 1)[1]


def test_zstd_layers_are_refused_in_one_sentence() -> None:
    with pytest.raises(ImageArchiveError, match=r"zstd-compressed, which squasher cannot read"):
        read_image_archive(io.BytesIO(oci_archive(LAYERS, zstd=True)))


def test_an_archive_with_neither_manifest_nor_index() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("oci-layout")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    with pytest.raises(ImageArchiveError, match=r"no manifest.json .* and no index.json"):
        read_image_archive(io.BytesIO(buf.getvalue()))


def test_analyze_of_oci_and_docker_archive_files_agree(tmp_path: Path) -> None:
    oci = tmp_path / "image-oci.tar"
    oci.write_bytes(oci_archive(LAYERS, compress=True))
    docker = tmp_path / "image-docker.tar"
    docker.write_bytes(save_archive(LAYERS))
    assert is_archive_path(str(oci)) and not is_archive_path("busybox:latest")
    ours, theirs = analyze(str(oci)).to_json(), analyze(str(docker)).to_json()
    for data in (ours, theirs):
        data.pop("image")
        data.pop("id")  # the config JSON differs (hand-made twice): so does its digest
    assert ours == theirs


def test_read_archive_files_follows_hard_links(tmp_path: Path) -> None:
    oci = tmp_path / "image-oci.tar"
    oci.write_bytes(oci_archive(LAYERS))
    got = read_archive_files(str(oci), ["/app/data2", "/etc/passwd", "/bin/tool", "/nowhere"])
    assert got == {"/app/data2": b"x" * 3000, "/etc/passwd": b"root:x:0:0\nnobody:x:65534:65534\n"}
