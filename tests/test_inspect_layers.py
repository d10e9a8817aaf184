"""Layer reading and the merged filesystem, on hand-made ``docker save`` archives."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import Any

import pytest
from test_inspect_helpers import Item, d, f, hard, layer_tar, opq, save_archive, sym, wh

from squasher.inspect.layers import (
    Image,
    ImageArchiveError,
    final_filesystem,
    normalize_path,
    read_layer_tar,
)
from squasher.inspect.saved import read_image_archive


def read(layers: list[list[Item]], **kw: Any) -> Image:
    return read_image_archive(io.BytesIO(save_archive(layers, **kw)))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_normalize_path() -> None:
    assert normalize_path("./usr/bin/") == "/usr/bin"
    assert normalize_path("usr//lib/../bin") == "/usr/bin"
    assert normalize_path("/etc/passwd") == "/etc/passwd"
    assert normalize_path(".") == "/"


def test_layer_entries_kinds_and_hashes() -> None:
    data = layer_tar(
        [
            d("etc"),
            f("etc/passwd", "root:x:0:0\n", mode=0o644),
            f("usr/bin/tool", b"\x7fELF" * 100, mode=0o4755, uid=1, gid=2),
            sym("usr/bin/alias", "tool"),
            hard("usr/bin/tool2", "usr/bin/tool"),
            wh("var/cache/old"),
            opq("opt/app"),
        ]
    )
    layer = read_layer_tar(io.BytesIO(data))
    by = {e.path: e for e in layer.entries}
    assert set(by) == {"/etc", "/etc/passwd", "/usr/bin/tool", "/usr/bin/alias", "/usr/bin/tool2"}
    assert by["/etc"].kind == "dir"
    assert by["/etc/passwd"].sha256 == sha(b"root:x:0:0\n")
    assert by["/etc/passwd"].size == 11
    tool = by["/usr/bin/tool"]
    assert (tool.kind, tool.mode, tool.uid, tool.gid, tool.size) == ("file", 0o4755, 1, 2, 400)
    assert by["/usr/bin/alias"].kind == "symlink"
    assert by["/usr/bin/alias"].linkname == "tool"
    link = by["/usr/bin/tool2"]
    assert link.kind == "hardlink"
    assert link.linkname == "/usr/bin/tool"
    assert (link.size, link.sha256, link.tar_size) == (400, tool.sha256, 0)
    assert layer.whiteouts == ["/var/cache/old"]
    assert layer.opaque_dirs == ["/opt/app"]


def test_keep_content_only_for_asked_paths() -> None:
    data = layer_tar([f("var/lib/dpkg/info/x.list", "/usr/bin/x\n"), f("big", b"z" * 5000)])
    layer = read_layer_tar(io.BytesIO(data), keep=lambda p, size: p.endswith(".list"))
    by = {e.path: e for e in layer.entries}
    assert by["/var/lib/dpkg/info/x.list"].content == b"/usr/bin/x\n"
    assert by["/big"].content is None
    assert by["/big"].sha256 == sha(b"z" * 5000)


def test_archive_orders_layers_by_manifest_and_maps_history() -> None:
    img = read(
        [[f("a", "1")], [f("b", "22")], [f("c", "333")]],
        created_by=["ADD rootfs /", "echo b > /b", "echo c > /c"],
        empty=['#(nop)  CMD ["sh"]'],
    )
    assert [layer.entries[0].path for layer in img.layers] == ["/a", "/b", "/c"]
    assert [layer.size for layer in img.layers] == [1, 2, 3]
    assert [layer.instruction for layer in img.layers] == [
        "ADD rootfs /",
        "echo b > /b",
        "echo c > /c",
    ]
    assert img.history[0].empty_layer and img.history[0].layer_index is None
    assert img.history[0].instruction == 'CMD ["sh"]'
    assert img.size == 6
    assert img.repo_tags == ["test:latest"]
    for layer, diff_id in zip(img.layers, img.config["rootfs"]["diff_ids"], strict=True):
        assert layer.diff_id == diff_id


def test_final_filesystem_whiteouts_replacements_and_opaque_dirs() -> None:
    img = read(
        [
            [d("etc"), f("etc/a", "a1"), f("etc/b", "b1"), d("opt"), d("opt/app"), f("opt/app/x", "x"),
             d("data"), f("data/keep", "k"), d("gone"), f("gone/deep", "zzz"), f("swap", "file")],
            [f("etc/a", "a2-longer"), wh("etc/b"), opq("opt/app"), f("opt/app/y", "y"), wh("gone"),
             d("swap"), f("swap/inner", "i")],
            [f("etc/b", "b3")],
        ]
    )  # fmt: skip
    fs = final_filesystem(img)
    assert sorted(fs.entries) == [
        "/data",
        "/data/keep",
        "/etc",
        "/etc/a",
        "/etc/b",
        "/opt",
        "/opt/app",
        "/opt/app/y",
        "/swap",
        "/swap/inner",
    ]
    assert fs.entries["/etc/a"].sha256 == sha(b"a2-longer")
    assert fs.entries["/etc/b"].sha256 == sha(b"b3")
    assert fs.layer_of["/etc/b"] == 2
    assert fs.entries["/swap"].kind == "dir"
    assert fs.size == len("k") + len("a2-longer") + len("b3") + len("y") + len("i")


def test_non_directory_replaces_directory_and_its_subtree() -> None:
    img = read([[d("x"), f("x/1", "1"), f("x/2", "2")], [sym("x", "/elsewhere")]])
    fs = final_filesystem(img)
    assert sorted(fs.entries) == ["/x"]
    assert fs.entries["/x"].kind == "symlink"


def test_hardlink_groups_within_and_across_layers() -> None:
    img = read(
        [
            [d("bin"), f("bin/a", "same-inode"), hard("bin/b", "bin/a"), hard("bin/c", "bin/a"),
             f("bin/p", "p"), hard("bin/q", "bin/p"), f("bin/s", "s"), hard("bin/t", "bin/s")],
            # a is removed: b and c keep the inode; p is rewritten: q keeps the old content alone
            [wh("bin/a"), f("bin/p", "new p")],
            # a later layer links to a name a lower layer holds
            [hard("bin/u", "bin/s")],
        ]
    )  # fmt: skip
    fs = final_filesystem(img)
    assert "/bin/a" not in fs
    b, c, q = fs.entries["/bin/b"], fs.entries["/bin/c"], fs.entries["/bin/q"]
    assert (b.kind, b.linkname, b.sha256, b.size) == ("file", None, sha(b"same-inode"), 10)
    assert c.sha256 == b.sha256
    assert q.sha256 == sha(b"p")
    assert fs.entries["/bin/p"].sha256 == sha(b"new p")
    assert fs.entries["/bin/u"].sha256 == sha(b"s")
    assert fs.hardlink_groups == [("/bin/b", "/bin/c"), ("/bin/s", "/bin/t", "/bin/u")]
    assert fs.group_of("/bin/c") == ("/bin/b", "/bin/c")
    assert fs.group_of("/bin/q") is None
    # size counts an inode once
    assert fs.size == 10 + 1 + 5 + 1


def test_whiteout_of_directory_then_recreate() -> None:
    img = read([[d("d"), f("d/old", "o")], [wh("d")], [d("d"), f("d/new", "n")]])
    fs = final_filesystem(img)
    assert sorted(fs.entries) == ["/d", "/d/new"]


def test_symlinked_layer_tar_is_followed() -> None:
    data = layer_tar([f("same", "x")])
    manifest = [{"Config": "c.json", "RepoTags": None, "Layers": ["aa/layer.tar", "bb/layer.tar"]}]
    config = {"rootfs": {"type": "layers", "diff_ids": []}, "history": []}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("aa/layer.tar")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bb/layer.tar")
        link.type = tarfile.SYMTYPE
        link.linkname = "../aa/layer.tar"
        tar.addfile(link)
        for name, blob in (("c.json", json.dumps(config)), ("manifest.json", json.dumps(manifest))):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob.encode()))
    img = read_image_archive(io.BytesIO(buf.getvalue()))
    assert [layer.entries[0].path for layer in img.layers] == ["/same", "/same"]
    assert img.layers[1].instruction == "(missing)"


def test_oci_layout_blobs_are_sniffed() -> None:
    data = layer_tar([f("hello", "world")])
    digest = sha(data)
    config = json.dumps(
        {"rootfs": {"diff_ids": ["sha256:" + digest]}, "history": [{"created_by": "x"}]}
    )
    cdigest = sha(config.encode())
    manifest = [{"Config": f"blobs/sha256/{cdigest}", "Layers": [f"blobs/sha256/{digest}"]}]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, blob in (
            (f"blobs/sha256/{cdigest}", config.encode()),
            (f"blobs/sha256/{digest}", data),
            ("index.json", b"{}"),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    img = read_image_archive(io.BytesIO(buf.getvalue()))
    assert img.layers[0].entries[0].sha256 == sha(b"world")
    assert img.layers[0].instruction == "x"


def test_bad_archives_raise_squasher_errors() -> None:
    with pytest.raises(ImageArchiveError, match=r"manifest\.json"):
        read_image_archive(io.BytesIO(layer_tar([f("a", "b")])))
    with pytest.raises(ImageArchiveError):
        read_image_archive(io.BytesIO(b"not a tar at all" * 100))


def test_prefetch_reads_all_chunks_reports_progress_and_passes_errors_on() -> None:
    from collections.abc import Iterator

    from squasher.inspect.streaming import _Prefetch

    data = save_archive([[f("a", b"x" * 100_000)], [f("b", "y")]])
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    seen: list[int] = []
    stream = _Prefetch(chunks, seen.append, depth=2)
    img = read_image_archive(stream)
    stream.close()
    assert [layer.entries[0].path for layer in img.layers] == ["/a", "/b"]
    assert seen[-1] == len(data) and seen == sorted(seen)

    def failing() -> Iterator[bytes]:
        yield data[:1024]
        raise OSError("connection reset by peer")

    stream = _Prefetch(failing())
    with pytest.raises(OSError, match="connection reset"):
        read_image_archive(stream)
    stream.close()
    # a reader that stops early does not leave the pump blocked on a full queue
    stream = _Prefetch(chunks, depth=1)
    assert stream.read(10) == data[:10]
    stream.close()
    assert not stream._thread.is_alive()
