"""Streaming an image out of the engine (``docker save``) into the archive reader.

The engine's stream is read in a background thread (``_Prefetch``), so that the engine keeps
writing while the archive is parsed and hashed. With no client given and a local ``unix://``
engine, the two requests go over the socket without the docker SDK (``engine.unix_api``), which
saves the SDK's second of import time.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from squasher.errors import EngineUnavailable
from squasher.inspect.layers import Image, ImageNotFound, KeepContent, Progress
from squasher.inspect.saved import is_archive_path, read_archive_file, read_image_archive
from squasher.inspect.storage import StorageUnavailable, StoredImage, locate, read_stored_image

_CHUNK = 1 << 20  # bytes read at a time from the engine's stream


class _Prefetch:
    """Reads an iterator of byte chunks (the SDK's ``get_image`` generator) in a background thread,
    so that the engine keeps writing while the archive is parsed. At most ``depth`` chunks wait."""

    def __init__(
        self, chunks: Iterable[bytes], progress: Progress | None = None, depth: int = 64
    ) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._buf = b""
        self._pos = 0  # bytes of _buf already handed out
        self._done = False
        self._read = 0
        self._progress = progress
        self._thread = threading.Thread(target=self._pump, args=(iter(chunks),), daemon=True)
        self._thread.start()

    def _put(self, item: bytes | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _pump(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if chunk and not self._put(chunk):
                    return
            self._put(None)
        except BaseException as err:  # handed to the reading thread
            self._put(err)

    def read(self, n: int = -1, /) -> bytes:
        # the chunk is consumed by moving an offset: slicing off the rest at every small read
        # (tar headers are 512 bytes) copied the whole remaining chunk each time
        while self._pos >= len(self._buf) and not self._done:
            item = self._queue.get()
            if item is None:
                self._done = True
            elif isinstance(item, BaseException):
                self._done = True
                raise item
            else:
                self._buf, self._pos = item, 0
        start = self._pos
        end = len(self._buf) if n < 0 else min(len(self._buf), start + n)
        out = self._buf if start == 0 and end == len(self._buf) else self._buf[start:end]
        self._pos = end
        self._read += len(out)
        if self._progress is not None and out:
            self._progress(self._read)
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


def connect() -> Any:
    """A docker SDK client for the configured engine (``squasher.engine.connect``)."""
    from squasher.engine.connect import connect as engine_connect

    return engine_connect()


def _stream(
    ref: str, chunks: Iterable[bytes], attrs: dict[str, Any], keep: KeepContent | None, report: Any
) -> Image:
    stream = _Prefetch(chunks, report)
    try:
        image = read_image_archive(stream, ref=ref, keep=keep)
    finally:
        stream.close()
    image_id = str(attrs.get("Id", ""))
    if image_id:
        image.id = image_id
    image.repo_tags = list(attrs.get("RepoTags") or image.repo_tags)
    return image


ImageSource = Literal["auto", "storage", "save"]
SOURCES: tuple[ImageSource, ...] = ("auto", "storage", "save")


def _unavailable(ref: str, err: StorageUnavailable) -> EngineUnavailable:
    """What ``source="storage"`` says when the storage cannot be read."""
    return EngineUnavailable(f"cannot read {ref} from the engine's storage: {err}")


def _locate(ref: str, attrs: dict[str, Any], source: ImageSource) -> StoredImage | None:
    """The image's place in the engine's storage when it may and can be read there, else None
    (``docker save`` is streamed); ``source="storage"`` insists."""
    if source == "save":
        return None
    try:
        return locate(attrs)
    except StorageUnavailable as err:
        if source == "storage":
            raise _unavailable(ref, err) from None
        return None


def _from_storage(
    ref: str,
    stored: StoredImage,
    attrs: dict[str, Any],
    keep: KeepContent | None,
    report: Progress | None,
    source: ImageSource,
) -> Image | None:
    try:
        image = read_stored_image(
            stored, ref, list(attrs.get("RepoTags") or []), keep, progress=report
        )
    except StorageUnavailable as err:
        if source == "storage":
            raise _unavailable(ref, err) from None
        return None
    image.id = stored.image_id
    return image


class OpenedImage:
    """An image whose reading has started: the engine answered the inspect, and either the image
    is read from the engine's storage (``storage``) or its ``docker save`` stream is being read
    ahead in the background, until ``read`` parses it."""

    def __init__(
        self,
        ref: str,
        progress: Callable[[int, int], None] | None,
        path: str,
        source: ImageSource = "auto",
    ) -> None:
        from squasher.engine.unix_api import NoSuchImage, UnixEngine

        self._engine = UnixEngine(path)
        try:
            self.attrs = self._engine.inspect_image(ref)
        except NoSuchImage as err:
            raise ImageNotFound(f"no such image: {ref}") from err
        self.ref = ref
        self.source = source
        self._report = _reporter(progress, int(self.attrs.get("Size") or 0))
        self._chunks: Any = None
        self._stream: _Prefetch | None = None
        self.stored = _locate(ref, self.attrs, source)
        if self.stored is None:
            self._start_save()

    def _start_save(self) -> None:
        self._chunks = self._engine.save_chunks(str(self.attrs.get("Id") or self.ref))
        self._stream = _Prefetch(self._chunks, self._report)

    def read(self, keep: KeepContent | None = None) -> Image:
        """Parse the image (once); the stream is closed afterwards."""
        from squasher.engine.unix_api import NoSuchImage

        if self.stored is not None:
            image = _from_storage(
                self.ref, self.stored, self.attrs, keep, self._report, self.source
            )
            if image is not None:
                return image
            self._start_save()
        assert self._stream is not None
        try:
            image = read_image_archive(self._stream, ref=self.ref, keep=keep)
        except NoSuchImage as err:
            raise ImageNotFound(f"no such image: {self.ref}") from err
        except OSError as err:
            raise EngineUnavailable(f"cannot save image {self.ref}: {err.strerror or err}") from err
        finally:
            self.close()
        image_id = str(self.attrs.get("Id", ""))
        if image_id:
            image.id = image_id
        image.repo_tags = list(self.attrs.get("RepoTags") or image.repo_tags)
        return image

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._chunks is not None:
            self._chunks.close()


def open_engine_image(
    ref: str, progress: Callable[[int, int], None] | None = None, source: ImageSource = "auto"
) -> OpenedImage | None:
    """Start reading ``ref`` out of the engine now (from its storage, or its ``docker save``
    stream, so that the engine writes the archive while the caller does other work); None when
    ``ref`` is an archive file or the engine is not a local unix socket (``read_image`` then does
    it all)."""
    if is_archive_path(ref):
        return None
    from squasher.engine.unix_api import unix_socket_path

    path = unix_socket_path()
    return OpenedImage(ref, progress, path, source) if path is not None else None


def _reporter(progress: Callable[[int, int], None] | None, total: int) -> Progress | None:
    if progress is None:
        return None
    cb = progress

    def report(done: int) -> None:
        cb(done, total)

    return report


def read_image(
    ref: str,
    client: Any = None,
    keep: KeepContent | None = None,
    progress: Callable[[int, int], None] | None = None,
    opened: OpenedImage | None = None,
    source: ImageSource = "auto",
) -> Image:
    """Read image ``ref``: the path of an image archive file, or a name the engine knows.

    An engine's image is read from the engine's own storage when that is on this machine and
    readable (``storage``: the same layer tars, checked against their digests, without waiting
    for the engine to write an archive), else streamed out as ``docker save`` does (over a local
    unix socket without the docker SDK when no ``client`` is given). ``source`` "storage" or
    "save" insists on one of the two.

    ``progress(bytes_read, approx_total)`` is called as the layers are read. ``opened`` is what
    ``open_engine_image`` started for ``ref``.
    """
    if opened is not None:
        return opened.read(keep)
    if is_archive_path(ref):
        return read_archive_file(ref, keep=keep, progress=progress)
    if client is None:
        from squasher.engine.unix_api import unix_socket_path

        path = unix_socket_path()
        if path is not None:
            return OpenedImage(ref, progress, path, source).read(keep)
    import docker.errors

    if client is None:
        client = connect()
    try:
        attrs = client.api.inspect_image(ref)
    except docker.errors.ImageNotFound as err:
        raise ImageNotFound(f"no such image: {ref}") from err
    except docker.errors.APIError as err:
        raise EngineUnavailable(f"cannot inspect image {ref}: {err.explanation or err}") from err
    report = _reporter(progress, int(attrs.get("Size") or 0))
    stored = _locate(ref, attrs, source)
    if stored is not None:
        image = _from_storage(ref, stored, attrs, keep, report, source)
        if image is not None:
            return image
    chunks: Any = None
    try:
        chunks = client.api.get_image(str(attrs.get("Id") or ref), chunk_size=_CHUNK)
        return _stream(ref, chunks, attrs, keep, report)
    except docker.errors.APIError as err:
        raise EngineUnavailable(f"cannot save image {ref}: {err.explanation or err}") from err
    finally:
        if chunks is not None and hasattr(chunks, "close"):
            with contextlib.suppress(Exception):
                chunks.close()
