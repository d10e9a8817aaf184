"""Helpers that write layer tars and ``docker save`` archives by hand, for the inspect tests."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass


@dataclass
class Item:
    """One member of a hand-made layer tar."""

    name: str
    kind: str = "file"  # file | dir | symlink | hardlink | fifo | char
    data: bytes = b""
    link: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


def f(name: str, data: bytes | str = b"", mode: int = 0o644, uid: int = 0, gid: int = 0) -> Item:
    return Item(name, "file", data.encode() if isinstance(data, str) else data, "", mode, uid, gid)


def d(name: str, mode: int = 0o755) -> Item:
    return Item(name, "dir", mode=mode)


def sym(name: str, target: str) -> Item:
    return Item(name, "symlink", link=target, mode=0o777)


def hard(name: str, target: str) -> Item:
    return Item(name, "hardlink", link=target)


def wh(path: str) -> Item:
    """A whiteout for ``path`` ("a/b" -> "a/.wh.b")."""
    parent, _, base = path.rpartition("/")
    return f((parent + "/" if parent else "") + ".wh." + base, mode=0)


def opq(directory: str) -> Item:
    return f(directory.rstrip("/") + "/.wh..wh..opq", mode=0)


_TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "fifo": tarfile.FIFOTYPE,
    "char": tarfile.CHRTYPE,
}


def layer_tar(items: list[Item]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for item in items:
            info = tarfile.TarInfo(item.name)
            info.type = _TYPES[item.kind]
            info.mode = item.mode
            info.uid, info.gid = item.uid, item.gid
            info.mtime = 1_600_000_000
            if item.kind in ("symlink", "hardlink"):
                info.linkname = item.link
            if item.kind == "file":
                info.size = len(item.data)
                tar.addfile(info, io.BytesIO(item.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def save_archive(
    layers: list[list[Item]], created_by: list[str] | None = None, empty: list[str] | None = None
) -> bytes:
    """A legacy ``docker save`` archive: layer dirs first, then config, then manifest.json."""
    tars = [layer_tar(items) for items in layers]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    history = []
    for empty_cmd in empty or []:
        history.append({"created_by": "/bin/sh -c " + empty_cmd, "empty_layer": True})
    for i, _ in enumerate(tars):
        cmd = (created_by or [])[i] if created_by and i < len(created_by) else f"layer {i}"
        history.append({"created_by": "/bin/sh -c " + cmd})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_bytes = json.dumps(config).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    # directory names sort differently from layer order, as the engine's v1 ids do
    dirs = [hashlib.sha256(f"dir{i}".encode()).hexdigest() for i in range(len(tars))]
    manifest = [
        {
            "Config": config_name,
            "RepoTags": ["test:latest"],
            "Layers": [f"{x}/layer.tar" for x in dirs],
        }
    ]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        members = sorted(zip(dirs, tars, strict=True))
        for name, data in members:
            info = tarfile.TarInfo(f"{name}/layer.tar")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, data in (
            (config_name, config_bytes),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
