"""Reading an image straight from a local Docker engine's overlay2 storage, byte for byte what
``docker save`` would have sent, without waiting for the engine to write the archive.

dockerd 20.10 writes a whole ``docker save`` archive into a temporary directory before the first
byte reaches the client: for a small image that wait is most of ``squasher analyze``'s time. The
engine builds each layer tar of that archive from two things it keeps on disk: the layer's files
(``overlay2/<cache-id>/diff``) and the tar-split record made when the layer was stored
(``image/overlay2/layerdb/sha256/<chain-id>/tar-split.json.gz``: every tar header and padding byte,
with the file contents left out). This module joins the same two things itself, so the layer
tar it parses is the engine's own, and checks everything it relies on:

- the image config read from the image store hashes to the image id the engine gave;
- each layer's store entry names the diff_id the config lists;
- each reassembled layer tar hashes to that diff_id (the check ``docker load`` makes).

Anything else — another storage driver, the containerd image store, a remote engine whose paths
are not on this machine, files this process may not read, a check that fails — means "not
available here", and the caller streams ``docker save`` as before.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from squasher.inspect.layers import Image, KeepContent, Progress, _ParsedLayer, read_layer_tar
from squasher.inspect.saved import image_from_parts

_CHUNK = 1 << 20
# tar-split's entry types: a file whose content lives in the layer's directory, and a segment of
# raw tar bytes (headers, padding, the end-of-archive blocks)
_FILE_ENTRY = 1
_SEGMENT_ENTRY = 2
_SEGMENT_PREFIX = b'{"type":2,"payload":"'


class StorageUnavailable(Exception):
    """The image cannot be read from the engine's storage here; the reason says why."""


@dataclass(frozen=True)
class StoredLayer:
    diff_id: str  # "sha256:<hex>", as the image config lists it
    cache_id: str  # the overlay2 directory holding the layer's files
    diff_dir: str
    tar_split: str  # path of the layer's tar-split.json.gz


@dataclass(frozen=True)
class StoredImage:
    """Where a local engine keeps one image: its config and its layers, checked to exist."""

    image_id: str  # "sha256:<hex>"
    config_bytes: bytes
    layers: tuple[StoredLayer, ...]


def _chain_ids(diff_ids: list[str]) -> Iterator[str]:
    """The layer store's key of each layer: the chain id of it and every layer below it."""
    chain = ""
    for diff_id in diff_ids:
        chain = (
            diff_id
            if not chain
            else "sha256:" + hashlib.sha256(f"{chain} {diff_id}".encode()).hexdigest()
        )
        yield chain


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise StorageUnavailable(f"cannot read {path}: {err.strerror or err}") from None


def _storage_root(attrs: dict[str, Any]) -> str:
    driver = attrs.get("GraphDriver") or {}
    if driver.get("Name") != "overlay2":
        raise StorageUnavailable(f"the storage driver is {driver.get('Name') or 'not named'}")
    upper = str((driver.get("Data") or {}).get("UpperDir") or "")
    # <root>/overlay2/<cache-id>/diff
    layer_dir = os.path.dirname(upper)
    drivers_dir = os.path.dirname(layer_dir)
    if not upper.endswith("/diff") or os.path.basename(drivers_dir) != "overlay2":
        raise StorageUnavailable(f"the image's directory {upper!r} is not an overlay2 layer")
    return os.path.dirname(drivers_dir)


def locate(attrs: dict[str, Any]) -> StoredImage:
    """The storage of the image the engine's inspect answer ``attrs`` describes.

    Raises StorageUnavailable when it is not on this machine, or not readable, or not the image."""
    image_id = str(attrs.get("Id") or "")
    algorithm, _, hexdigest = image_id.partition(":")
    if algorithm != "sha256" or len(hexdigest) != 64:
        raise StorageUnavailable(f"the image id {image_id!r} is not a sha256 digest")
    root = _storage_root(attrs)
    config_bytes = _read(f"{root}/image/overlay2/imagedb/content/sha256/{hexdigest}")
    if hashlib.sha256(config_bytes).hexdigest() != hexdigest:
        raise StorageUnavailable("the image store's config does not hash to the image id")
    try:
        config = json.loads(config_bytes)
    except ValueError:
        raise StorageUnavailable("the image store's config is not JSON") from None
    diff_ids = [str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or []]
    layers = []
    for diff_id, chain_id in zip(diff_ids, _chain_ids(diff_ids), strict=True):
        entry = f"{root}/image/overlay2/layerdb/sha256/{chain_id.partition(':')[2]}"
        if _read(f"{entry}/diff").decode("ascii", "replace").strip() != diff_id:
            raise StorageUnavailable(f"the layer store's entry {entry} is not layer {diff_id}")
        cache_id = _read(f"{entry}/cache-id").decode("ascii", "replace").strip()
        if not cache_id or "/" in cache_id or cache_id.startswith("."):
            raise StorageUnavailable(f"the layer store's entry {entry} names no directory")
        diff_dir = f"{root}/overlay2/{cache_id}/diff"
        tar_split = f"{entry}/tar-split.json.gz"
        if not os.path.isdir(diff_dir) or not os.access(tar_split, os.R_OK):
            raise StorageUnavailable(f"layer {diff_id} has no readable files here")
        layers.append(StoredLayer(diff_id, cache_id, diff_dir, tar_split))
    return StoredImage(image_id, config_bytes, tuple(layers))


class LayerTar:
    """A layer tar as the engine writes it into ``docker save``: tar-split's recorded bytes, with
    each file's content read from the layer's directory; checked against the diff_id at its end.

    ``read(n)`` returns up to ``n`` bytes, b"" at the end."""

    def __init__(self, layer: StoredLayer, progress: Callable[[int], None] | None = None) -> None:
        self._layer = layer
        self._progress = progress
        try:
            with gzip.open(layer.tar_split, "rb") as f:
                self._records: Iterator[bytes] = iter(f.read().splitlines())
        except (OSError, EOFError) as err:
            raise StorageUnavailable(f"cannot read {layer.tar_split}: {err}") from None
        self._file: int | None = None  # the open file descriptor of the content being read
        self._file_left = 0
        self._file_name = ""
        self._hash = hashlib.sha256()
        self._done = False

    def _next_piece(self, limit: int) -> bytes:
        """The next bytes of the tar (at most ``limit``); b"" at the end."""
        if self._file is not None:
            try:
                data = os.read(self._file, min(self._file_left, limit, _CHUNK))
            except OSError as err:
                raise StorageUnavailable(f"cannot read {self._file_name}: {err.strerror}") from None
            if not data:
                raise StorageUnavailable(f"{self._file_name} is shorter than its layer records")
            self._file_left -= len(data)
            if self._file_left == 0:
                os.close(self._file)
                self._file = None
            return data
        while True:
            record = next(self._records, None)
            if record is None:
                return b""
            if record.startswith(_SEGMENT_PREFIX):
                # the common record, read without the JSON decoder: base64 needs no escapes
                end = record.find(b'"', len(_SEGMENT_PREFIX))
                if end > 0:
                    if end == len(_SEGMENT_PREFIX):
                        continue
                    try:
                        return binascii.a2b_base64(record[len(_SEGMENT_PREFIX) : end])
                    except binascii.Error:
                        pass  # not plain base64 after all: the decoder reads it
            if not record.strip():
                continue
            try:
                entry = json.loads(record)
                kind = entry["type"]
            except (ValueError, KeyError, TypeError):
                raise StorageUnavailable(f"{self._layer.tar_split}: unreadable record") from None
            if kind == _SEGMENT_ENTRY:
                payload = entry.get("payload")
                if payload:
                    return base64.b64decode(payload)
            elif kind == _FILE_ENTRY:
                size = int(entry.get("size") or 0)
                if size:
                    self._open(entry, size)
                    return self._next_piece(limit)
            else:
                raise StorageUnavailable(f"{self._layer.tar_split}: record of type {kind!r}")

    def _open(self, entry: dict[str, Any], size: int) -> None:
        raw = entry.get("name_raw")
        name = base64.b64decode(raw) if raw else os.fsencode(str(entry.get("name", "")))
        parts = [p for p in name.split(b"/") if p not in (b"", b".")]
        if not parts or b".." in parts:
            raise StorageUnavailable(f"{self._layer.tar_split}: file name {name!r}")
        path = os.path.join(os.fsencode(self._layer.diff_dir), *parts)
        self._file_name = os.fsdecode(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as err:
            raise StorageUnavailable(f"cannot read {self._file_name}: {err.strerror}") from None
        self._file = fd
        self._file_left = size

    def read(self, n: int = -1, /) -> bytes:
        if self._done:
            return b""
        want = _CHUNK if n < 0 else n
        parts = []
        got = 0
        ended = False
        while got < want:
            piece = self._next_piece(want - got)
            if not piece:
                ended = True
                break
            parts.append(piece)
            got += len(piece)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._hash.update(data)
        if self._progress is not None and data:
            self._progress(len(data))
        if ended:
            self._finish()
        return data

    def _finish(self) -> None:
        self._done = True
        if "sha256:" + self._hash.hexdigest() != self._layer.diff_id:
            raise StorageUnavailable(
                f"layer {self._layer.diff_id} put together from the storage hashes differently"
            )

    @property
    def complete(self) -> bool:
        """Read to its end, and the bytes hashed to the layer's diff_id."""
        return self._done

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None


def read_stored_layers(
    stored: StoredImage, keep: KeepContent | None, progress: Progress | None = None
) -> list[tuple[str, _ParsedLayer]]:
    """Each layer parsed from its reassembled tar, in image order, with the directory it came from.

    ``progress(bytes_read_so_far)`` is called as the layers are read."""
    done = 0

    def count(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done)

    parsed = []
    for layer in stored.layers:
        tar = LayerTar(layer, count if progress is not None else None)
        try:
            parsed.append((f"overlay2/{layer.cache_id}", read_layer_tar(tar, keep)))
            if not tar.complete:  # read_layer_tar reads to the end, where the hash is checked
                raise StorageUnavailable(f"layer {layer.diff_id} was not read to its end")
        finally:
            tar.close()
    return parsed


def read_stored_image(
    stored: StoredImage,
    ref: str,
    repo_tags: list[str],
    keep: KeepContent | None,
    progress: Progress | None = None,
) -> Image:
    """The image, as ``saved.read_image_archive`` would have read it from ``docker save``."""
    return image_from_parts(
        stored.config_bytes,
        read_stored_layers(stored, keep, progress),
        ref=ref,
        repo_tags=repo_tags,
    )
