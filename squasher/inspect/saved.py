"""Reading a saved image archive: a ``docker save`` stream (``streaming`` brings the engine's), or
an archive file.

Two archive layouts are read, from one forward pass over the stream:

- docker-archive: ``manifest.json`` names the config and the layer tars (legacy ``<id>/layer.tar``
  members, or ``blobs/sha256/<hex>`` when Docker 25+ writes an OCI layout with a manifest.json);
- OCI image layout (``skopeo copy ... oci-archive:FILE``, ``podman save --format oci-archive``):
  ``index.json`` points to an image manifest (possibly through a nested index), which names the
  config and layer blobs by digest.

Every member that looks like a layer (tar, gzip) is parsed as it passes by, since the index comes
after the blobs in most archives; JSON members are kept until the end, when the image is resolved.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from squasher.inspect.layers import (
    HistoryEntry,
    Image,
    ImageArchiveError,
    KeepContent,
    Layer,
    Progress,
    _ParsedLayer,
    final_filesystem,
    read_layer_tar,
)
from squasher.inspect.tarstream import Readable, Source, TarFormatError, members

_PEEK = 1024  # bytes sniffed to tell a layer blob from a JSON blob
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def is_archive_path(ref: str) -> bool:
    """True when ``ref`` names an existing regular file: an image archive, not an engine name."""
    try:
        return stat.S_ISREG(os.stat(ref).st_mode)
    except (OSError, ValueError):
        return False


def _looks_like_layer(head: bytes) -> bool:
    if head[:2] == b"\x1f\x8b":  # gzip
        return True
    if len(head) >= 512 and head[:512].count(0) == 512:  # an empty tar: the end marker only
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


def _history_for(config: dict[str, Any], layer_count: int) -> list[HistoryEntry]:
    """History entries, non-empty ones matched to layers in order (as dive and the engine do)."""
    out: list[HistoryEntry] = []
    next_layer = 0
    for item in config.get("history") or []:
        empty = bool(item.get("empty_layer", False))
        index = None
        if not empty and next_layer < layer_count:
            index = next_layer
            next_layer += 1
        out.append(
            HistoryEntry(
                created_by=str(item.get("created_by", "")),
                created=str(item.get("created", "")),
                comment=str(item.get("comment", "")),
                empty_layer=empty,
                layer_index=index,
            )
        )
    return out


@dataclass
class _Members:
    """What one pass over an archive collected."""

    parsed: dict[str, _ParsedLayer] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # member -> the member it links to
    jsons: dict[str, bytes] = field(default_factory=dict)
    zstd: set[str] = field(default_factory=set)

    def resolve(self, name: str) -> str:
        path = posixpath.normpath(name)
        seen: set[str] = set()
        while path not in self.parsed and path in self.links and path not in seen:
            seen.add(path)
            path = self.links[path]
        return path


def _collect(fileobj: Readable, keep: KeepContent | None) -> _Members:
    found = _Members()
    outer = Source(fileobj)
    try:
        for member, body in members(outer):
            name = posixpath.normpath(member.name)
            if member.type == b"2":
                found.links[name] = posixpath.normpath(
                    posixpath.join(posixpath.dirname(name), member.linkname)
                )
                continue
            if member.type not in (b"0", b"\0", b"7"):
                continue
            if name.endswith(".json") or name in ("repositories", "oci-layout"):
                found.jsons[name] = body.read()
                continue
            head = body.peek(_PEEK)
            if head[:4] == _ZSTD_MAGIC:
                found.zstd.add(name)
            elif name.endswith((".tar", ".tar.gz", ".tgz")) or _looks_like_layer(head):
                # the layer tar is parsed in place: the archive's stream, bounded to the member
                outer.limit(body.remaining)
                body.remaining = 0
                found.parsed[name] = read_layer_tar(outer, keep)
                outer.unlimit()
            elif head.lstrip()[:1] in (b"{", b"[") and member.size <= 64 << 20:
                found.jsons[name] = body.read()
        outer.drain()  # the end-of-archive padding: leave the engine's stream fully read
    except TarFormatError as err:
        raise ImageArchiveError(f"cannot read image archive: {err}") from err
    return found


@dataclass(frozen=True)
class _Selected:
    config_path: str
    layer_paths: list[str]
    repo_tags: list[str]


def _json(found: _Members, path: str) -> Any:
    try:
        return json.loads(found.jsons[path])
    except (ValueError, UnicodeDecodeError) as err:
        raise ImageArchiveError(f"{path} in the image archive is not JSON: {err}") from None


def _from_docker_manifest(found: _Members, image_index: int) -> _Selected:
    manifest = _json(found, "manifest.json")
    if not isinstance(manifest, list) or not manifest:
        raise ImageArchiveError("manifest.json lists no image")
    if image_index >= len(manifest):
        raise ImageArchiveError(
            f"image archive holds {len(manifest)} image(s), not {image_index + 1}"
        )
    item = manifest[image_index]
    return _Selected(
        config_path=posixpath.normpath(item.get("Config", "")),
        layer_paths=[str(p) for p in item.get("Layers") or []],
        repo_tags=list(item.get("RepoTags") or []),
    )


def _blob_path(digest: str) -> str:
    algorithm, _, hexdigest = str(digest).partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _oci_manifests(found: _Members, index: Any, tags: list[str]) -> Iterator[tuple[Any, list[str]]]:
    """The image manifests an OCI index leads to, in order, with the names annotated on them."""
    for desc in index.get("manifests") or [] if isinstance(index, dict) else []:
        platform = desc.get("platform") or {}
        if platform.get("architecture") == "unknown":  # attestations, not images
            continue
        annotations = desc.get("annotations") or {}
        name = annotations.get("io.containerd.image.name") or annotations.get(
            "org.opencontainers.image.ref.name"
        )
        names = [str(name)] if name else tags
        path = _blob_path(desc.get("digest", ""))
        if path not in found.jsons:
            continue  # other platforms' manifests are referenced but not stored
        blob = _json(found, path)
        media_type = desc.get("mediaType") or blob.get("mediaType", "")
        if media_type in _INDEX_TYPES or "manifests" in blob:
            yield from _oci_manifests(found, blob, names)
        elif media_type in _MANIFEST_TYPES or "config" in blob:
            yield blob, names


def _from_oci_index(found: _Members, image_index: int) -> _Selected:
    images = list(_oci_manifests(found, _json(found, "index.json"), []))
    if not images:
        raise ImageArchiveError("the OCI image layout's index.json leads to no image manifest")
    if image_index >= len(images):
        raise ImageArchiveError(
            f"image archive holds {len(images)} image(s), not {image_index + 1}"
        )
    manifest, names = images[image_index]
    return _Selected(
        config_path=_blob_path((manifest.get("config") or {}).get("digest", "")),
        layer_paths=[_blob_path(layer.get("digest", "")) for layer in manifest.get("layers") or []],
        repo_tags=names,
    )


def read_image_archive(
    fileobj: Readable,
    ref: str = "",
    keep: KeepContent | None = None,
    image_index: int = 0,
) -> Image:
    """Read a saved image (docker-archive, or an OCI image layout) from a stream.

    ``image_index`` picks the image when the archive holds several (manifest.json or index order).
    """
    found = _collect(fileobj, keep)
    if "manifest.json" in found.jsons:
        selected = _from_docker_manifest(found, image_index)
    elif "index.json" in found.jsons:
        selected = _from_oci_index(found, image_index)
    else:
        raise ImageArchiveError(
            "image archive has no manifest.json (docker-archive) and no index.json (OCI image layout)"
        )
    if selected.config_path not in found.jsons:
        raise ImageArchiveError(f"image archive has no config {selected.config_path!r}")
    parts = []
    for tar_path in selected.layer_paths:
        path = found.resolve(tar_path)
        if path in found.zstd:
            raise ImageArchiveError(
                f"layer {tar_path} is zstd-compressed, which squasher cannot read; "
                "save the image with gzip or uncompressed layers"
            )
        if path not in found.parsed:
            raise ImageArchiveError(f"image archive lacks layer {tar_path!r}")
        parts.append((tar_path, found.parsed[path]))
    return image_from_parts(
        found.jsons[selected.config_path], parts, ref=ref, repo_tags=selected.repo_tags
    )


def image_from_parts(
    config_bytes: bytes,
    layers_read: list[tuple[str, _ParsedLayer]],
    ref: str = "",
    repo_tags: list[str] | None = None,
) -> Image:
    """The image made of its config and its layers, parsed in image order (with where each was
    read from), history entries matched to the layers as dive and the engine match them."""
    config = json.loads(config_bytes)
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    layers: list[Layer] = []
    for index, (tar_path, p) in enumerate(layers_read):
        layers.append(
            Layer(
                index=index,
                tar_path=tar_path,
                diff_id=str(diff_ids[index]) if index < len(diff_ids) else "",
                entries=p.entries,
                whiteouts=p.whiteouts,
                opaque_dirs=p.opaque_dirs,
            )
        )
    history = _history_for(config, len(layers))
    for h in history:
        if h.layer_index is not None:
            layers[h.layer_index].history = h
    return Image(
        ref=ref,
        id="sha256:" + hashlib.sha256(config_bytes).hexdigest(),
        repo_tags=list(repo_tags or []),
        config=config,
        layers=layers,
        history=history,
    )


class _Counted:
    """A file read through, reporting the bytes read so far."""

    def __init__(self, fileobj: Readable, progress: Progress) -> None:
        self._fileobj = fileobj
        self._progress = progress
        self._read = 0

    def read(self, n: int = -1, /) -> bytes:
        data = self._fileobj.read(n)
        self._read += len(data)
        if data:
            self._progress(self._read)
        return data


def read_archive_file(
    path: str, keep: KeepContent | None = None, progress: Callable[[int, int], None] | None = None
) -> Image:
    """Read the image archive at ``path`` (docker-archive or OCI image layout)."""
    try:
        total = os.path.getsize(path)
        with open(path, "rb") as fileobj:
            source: Readable = fileobj
            if progress is not None:
                cb = progress
                source = _Counted(fileobj, lambda done: cb(done, total))
            return read_image_archive(source, ref=path, keep=keep)
    except OSError as err:
        raise ImageArchiveError(f"cannot read {path}: {err.strerror}") from None


def read_archive_files(path: str, wanted: Collection[str]) -> dict[str, bytes]:
    """The bytes of the regular files ``wanted`` (absolute paths) in the merged filesystem of the
    image archive at ``path``; absent paths are left out."""
    names = set(wanted)
    image = read_archive_file(path, keep=lambda p, _size: p in names)
    fs = final_filesystem(image)
    missing = [p for p in names if p in fs.entries and fs.entries[p].content is None]
    if missing:  # hard-linked names whose content the tar holds under another name
        for group in fs.hardlink_groups:
            if any(p in group for p in missing):
                names.update(group)
        fs = final_filesystem(read_archive_file(path, keep=lambda p, _size: p in names))
    return {
        p: e.content
        for p in wanted
        if (e := fs.entries.get(p)) is not None and e.content is not None
    }
