"""``squasher verify``: prove the squashed image is the original minus what was meant to go.

Both images are streamed out of the engine (``streaming.read_image``; only per-path metadata and the
package-database files are kept), merged into their final filesystems (whiteouts, opaque
directories, hard-link groups), and compared path by path — type, mode, owner, size, content hash,
symlink target, device numbers, xattrs, hard-link partners; timestamps ignored — and key by key on
the image config. Every difference is then classified (``classify``): expected, protected or
unexpected. ``--smoke CMD`` runs CMD in a container of each image and compares exit code and output.

Library: ``verify(original, squashed, ...) -> VerifyResult``; ``squasher diff-size --verify`` calls the
same function with its own client and the rewrite report.

Companions: ``classify`` (the rules), ``pkgdb`` (package databases), ``verify_smoke`` (``--smoke``),
``verify_readback`` (the few files read back: ``.pyc`` headers, ELF DT_NEEDED).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from squasher.errors import EngineUnavailable, SquasherError
from squasher.inspect.classify import (
    ADDED,
    CHANGED,
    PURGED_TOOL,
    REMOVED,
    Classifier,
    Difference,
    settle_linker_cache,
)
from squasher.inspect.layers import FileEntry, FinalFilesystem
from squasher.inspect.pkgdb import PackageDB
from squasher.inspect.verify_config import CONFIG_KEYS, DEFAULT_PATH, compare_config
from squasher.inspect.verify_difference import (
    Evidence,
)
from squasher.inspect.verify_evidence import (
    called_names,
    config_commands,
    load_report,
    protected_packages,
    purge_decisions,
    script_paths,
    shared_layers,
)
from squasher.inspect.verify_noise import font_cache_noise, host_noise, pyc_noise, shadow_noise
from squasher.inspect.verify_readback import elf_needed, purged_but_needed, read_files
from squasher.inspect.verify_result import ImageSide, VerifyResult, human_bytes
from squasher.inspect.verify_smoke import (
    SMOKE_TIMEOUT,
    SmokeOutcome,
    SmokeResult,
    run_smoke,
    smoke_difference,
)
from squasher.pkg.base import Protection
from squasher.report.rewrite import RewriteReport

if TYPE_CHECKING:
    from squasher.inspect.streaming import ImageSource

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_PATH",
    "Difference",
    "ImageSide",
    "SmokeOutcome",
    "SmokeResult",
    "VerifyResult",
    "compare_config",
    "compare_filesystems",
    "elf_needed",
    "human_bytes",
    "run_smoke",
    "verify",
]

# ------------------------------------------------------------------------------ filesystem


def _entry_details(o: FileEntry, s: FileEntry) -> list[str]:
    if o.kind != s.kind:
        return [f"type {o.kind} -> {s.kind}"]
    out: list[str] = []
    if o.mode != s.mode:
        out.append(f"mode {o.mode:04o} -> {s.mode:04o}")
    if (o.uid, o.gid) != (s.uid, s.gid):
        out.append(f"owner {o.uid}:{o.gid} -> {s.uid}:{s.gid}")
    if o.kind == "file":
        if o.size != s.size:
            out.append(f"size {o.size} -> {s.size}")
        if o.sha256 != s.sha256:
            out.append("content")
    if o.kind == "symlink" and o.linkname != s.linkname:
        out.append(f"symlink target {o.linkname} -> {s.linkname}")
    if o.kind in ("char", "block") and (o.devmajor, o.devminor) != (s.devmajor, s.devminor):
        out.append(f"device {o.devmajor},{o.devminor} -> {s.devmajor},{s.devminor}")
    if o.xattrs != s.xattrs:
        names = sorted({k for k, _ in o.xattrs} ^ {k for k, _ in s.xattrs}) or sorted(
            {k for k, _ in o.xattrs}
        )
        out.append("xattrs " + ",".join(names))
    return out


def _group_index(fs: FinalFilesystem) -> dict[str, tuple[str, ...]]:
    return {path: group for group in fs.hardlink_groups for path in group}


def _file_size(entry: FileEntry | None) -> int | None:
    if entry is None:
        return None
    return entry.size if entry.kind == "file" else 0


def compare_filesystems(
    original: FinalFilesystem, squashed: FinalFilesystem
) -> Iterator[Difference]:
    """Unclassified differences between two final filesystems, in path order. mtimes are ignored.

    Hard links: a path's partners are compared among the paths both images have, so a purged
    partner does not count, but a link split into copies (or joined) does.
    """
    o_groups, s_groups = _group_index(original), _group_index(squashed)
    for path in sorted(set(original.entries) | set(squashed.entries)):
        o, s = original.entries.get(path), squashed.entries.get(path)
        if s is None:
            yield Difference(path, REMOVED, original_size=_file_size(o))
            continue
        if o is None:
            yield Difference(path, ADDED, squashed_size=_file_size(s))
            continue
        details = _entry_details(o, s)
        if o.kind == "file" and s.kind == "file" and (path in o_groups or path in s_groups):
            op = {p for p in o_groups.get(path, ()) if p != path and p in squashed.entries}
            sp = {p for p in s_groups.get(path, ()) if p != path and p in original.entries}
            if op != sp:
                details.append(
                    f"hard links {','.join(sorted(op)) or 'none'} -> {','.join(sorted(sp)) or 'none'}"
                )
        if details:
            yield Difference(
                path,
                CHANGED,
                details=tuple(details),
                original_size=_file_size(o),
                squashed_size=_file_size(s),
            )


def make_resolver(fs: FinalFilesystem) -> Callable[[str], str]:
    """Map a path as a package database names it to where it lives in ``fs``: the directory part is
    resolved through symlinks (usrmerge: ``/lib/x86_64-linux-gnu/libc.so.6`` is under ``/usr/lib``)."""
    cache: dict[str, str] = {}

    def resolve_dir(path: str, depth: int = 0) -> str:
        if path in ("/", "") or depth > 40:
            return path or "/"
        if path in cache:
            return cache[path]
        parent, base = path.rsplit("/", 1)
        real = resolve_dir(parent or "/", depth + 1).rstrip("/") + "/" + base
        entry = fs.entries.get(real)
        if entry is not None and entry.kind == "symlink" and entry.linkname:
            target = entry.linkname
            if not target.startswith("/"):
                target = os.path.normpath(os.path.join(os.path.dirname(real), target))
            real = resolve_dir(os.path.normpath(target), depth + 1)
        cache[path] = real
        return real

    def resolve(path: str) -> str:
        parent, base = path.rsplit("/", 1)
        if not parent:
            return path
        return resolve_dir(parent).rstrip("/") + "/" + base

    return resolve


# ------------------------------------------------------------------------------ the whole check


@dataclass
class _Loaded:
    side: ImageSide
    config: dict[str, Any]
    fs: FinalFilesystem
    db: PackageDB
    base_db: PackageDB | None = None  # the package database of the image's lowest layers


class _Cancelled(Exception):
    """Raised inside a reader thread to stop its stream (Ctrl-C, or the other image failed)."""


def _database(fs: FinalFilesystem) -> PackageDB:
    """The package database (and /etc/passwd) held in ``fs``; the bytes are dropped once read."""
    from squasher.inspect import pkgdb

    contents = [
        (p, e.content)
        for p, e in fs.entries.items()
        if e.content is not None and pkgdb.is_database_or_passwd(p)
    ]
    db = pkgdb.from_contents(contents)
    for p, _content in contents:
        fs.entries[p] = dataclasses.replace(fs.entries[p], content=None)
    return db


def _load(
    client: Any,
    ref: str,
    cancel: threading.Event | None = None,
    base_layers: int = 0,
    source: ImageSource = "auto",
) -> _Loaded:
    """Read one image; with ``base_layers``, also the package database of its lowest layers."""
    from squasher.inspect import pkgdb
    from squasher.inspect.layers import final_filesystem
    from squasher.inspect.streaming import read_image

    def progress(_done: int, _total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise _Cancelled(ref)

    image = read_image(
        ref, client=client, keep=pkgdb.is_database_or_passwd, progress=progress, source=source
    )
    fs = final_filesystem(image)
    base_db = _database(final_filesystem(image.layers[:base_layers])) if base_layers else None
    config = dict(image.config.get("config") or {})
    image.layers.clear()  # per-layer entries are not needed any more
    db = _database(fs)
    side = ImageSide(
        ref=ref,
        id=image.id,
        paths=len(fs),
        size=fs.size,
        package_managers=tuple(db.managers),
    )
    return _Loaded(side=side, config=config, fs=fs, db=db, base_db=base_db)


def _load_concurrently(
    client: Any, refs: Sequence[str], base_layers: Sequence[int], source: ImageSource = "auto"
) -> list[_Loaded]:
    """``_load`` each ref in its own daemon thread. On Ctrl-C or a failed read the others are told
    to stop at their next chunk and are not waited for (the engine may take a while to start
    streaming a large image), so the process can exit at once."""
    cancel = threading.Event()
    results: list[_Loaded | None] = [None] * len(refs)
    errors: list[BaseException] = []

    def work(i: int, ref: str) -> None:
        try:
            results[i] = _load(client, ref, cancel, base_layers[i], source)
        except BaseException as err:
            if not isinstance(err, _Cancelled):
                errors.append(err)
            cancel.set()

    threads = [
        threading.Thread(target=work, args=(i, ref), name=f"verify-read-{i}", daemon=True)
        for i, ref in enumerate(refs)
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive() and not errors:
                t.join(0.2)
    except BaseException:
        cancel.set()
        raise
    if errors:
        cancel.set()
        raise errors[0]
    return [r for r in results if r is not None]


def _inspect(client: Any, ref: str) -> tuple[str, list[str]]:
    """The image's id and its layers' diff ids, bottom first."""
    import docker.errors

    from squasher.inspect.layers import ImageNotFound
    from squasher.inspect.saved import is_archive_path

    if is_archive_path(ref):  # an image archive file stands for itself; its layers are not shared
        return ref, []
    try:
        info = client.api.inspect_image(ref)
    except docker.errors.ImageNotFound as err:
        raise ImageNotFound(f"no such image: {ref}") from err
    return str(info["Id"]), [str(x) for x in (info.get("RootFS") or {}).get("Layers") or []]


def _client() -> Any:
    from squasher.engine.connect import connect

    return connect()


def verify(
    original: str,
    squashed: str,
    *,
    smoke: Sequence[str] = (),
    report: RewriteReport | str | os.PathLike[str] | None = None,
    client: Any = None,
    smoke_timeout: int = SMOKE_TIMEOUT,
    build_log: str | None = None,
    rebuild: str | None = None,
    source: ImageSource = "auto",
) -> VerifyResult:
    """Compare image ``original`` with image ``squashed`` (names or ids on the engine, or paths of
    image archives: docker-archive or OCI image layout; those need no engine).

    ``report``: the rewrite report (``RewriteReport``, or the path of its JSON file) — why each
    package was purged (build-only, a run-time tool, removed by the original, named by the user).
    ``smoke``: commands run in a container of each image, compared by exit code and output.
    ``build_log``: the output of the squashed image's build: the ``squasher-protect`` lines its
    build.sh printed name the protected packages and the original line whose removal they survived.
    ``rebuild``: a second build of the original (``--no-cache``): what differs between the two
    builds (locally compiled wheels, embedded build paths) is noise, not blamed on the rewrite.
    ``client``: a docker SDK client (default: the configured engine). ``source``: how an engine's
    images are read (``streaming.read_image``): from its storage when that is local and readable,
    else its ``docker save`` stream ("auto"), or only one of the two ("storage", "save").
    The base image is the layers both images share from the bottom: a package it had, gone from
    the squashed image, is a real difference.
    Raises ``SquasherError`` (exit 2) for a missing image or an unreachable engine.
    """
    from squasher.inspect.saved import is_archive_path

    refs = [original, squashed] + ([rebuild] if rebuild is not None else [])
    on_engine = [ref for ref in refs if not is_archive_path(ref)]
    if smoke and len(on_engine) < len(refs):
        raise SquasherError(
            "--smoke runs containers: load the image archives into the engine first"
        )
    if client is None and on_engine:
        client = _client()
    protections: list[Protection] = []
    if isinstance(report, str | os.PathLike):
        report, protections = load_report(report)
    if build_log is not None:
        from squasher.pkg.base import parse_protect_log

        protections.extend(parse_protect_log(build_log))
    orig_id, sq_id, orig, sq, rebuilt = _load_images(client, original, squashed, rebuild, source)
    evidence = Evidence(
        original_db=orig.db,
        squashed_db=sq.db,
        base_db=orig.base_db,
        protected=protected_packages(protections),
        decisions=purge_decisions(report),
        called=_called(client, orig_id, orig),
        resolve_original=make_resolver(orig.fs),
        resolve_squashed=make_resolver(sq.fs),
        original_fs=orig.fs,
        squashed_fs=sq.fs,
    )
    raw = list(compare_filesystems(orig.fs, sq.fs))
    owners = Classifier(evidence)  # for the read-back: which paths a package ships
    evidence.noise = {
        **pyc_noise(client, orig_id, sq_id, raw, orig.fs, sq.fs),
        **host_noise(client, orig_id, sq_id, raw, owners.owned_in_either),
        **shadow_noise(client, orig_id, sq_id, raw),
        **font_cache_noise(client, orig_id, sq_id, raw, owners.owned_in_either),
    }
    if rebuilt is not None:
        evidence.not_reproducible = frozenset(
            (d.path, d.change) for d in compare_filesystems(orig.fs, rebuilt.fs)
        )
        del rebuilt
    classifier = Classifier(evidence)
    diffs = classifier.classify_all(raw)
    diffs = purged_but_needed(client, sq_id, sq.fs, classifier, diffs)
    diffs = settle_linker_cache(diffs)
    diffs.extend(compare_config(orig.config, sq.config))
    smoke_results = run_smoke(client, original, squashed, smoke, smoke_timeout) if smoke else []
    diffs.extend(smoke_difference(s) for s in smoke_results if not s.same)
    both = bool(orig.db.managers) and bool(sq.db.managers)
    tools = sorted({d.package for d in diffs if d.category == PURGED_TOOL and d.package})
    return VerifyResult(
        original=orig.side,
        squashed=sq.side,
        differences=diffs,
        smoke=smoke_results,
        purged_packages=sorted(set(orig.db.installed) - set(sq.db.installed)) if both else [],
        extra_packages=sorted(set(sq.db.installed) - set(orig.db.installed)) if both else [],
        purged_tools={p: classifier.commands_of(p) for p in tools},
    )


def _load_images(
    client: Any, original: str, squashed: str, rebuild: str | None, source: ImageSource = "auto"
) -> tuple[str, str, _Loaded, _Loaded, _Loaded | None]:
    """Both images (and the rebuild of the original), read once each: the ids and what was read
    (the same image twice is read once). A missing image fails before any stream starts."""
    refs = [original, squashed] + ([rebuild] if rebuild is not None else [])
    try:
        # fail fast on a missing image, before streaming the other one
        (orig_id, orig_layers), (sq_id, sq_layers) = (
            _inspect(client, original),
            _inspect(client, squashed),
        )
        rebuild_id = _inspect(client, rebuild)[0] if rebuild is not None else None
        base = shared_layers(orig_layers, sq_layers)
        rebuilt: _Loaded | None = None
        if orig_id == sq_id and rebuild_id in (None, orig_id):
            orig = _load(client, original, base_layers=base, source=source)
            sq = dataclasses.replace(orig, side=dataclasses.replace(orig.side, ref=squashed))
        else:
            # the streams at once: the time goes into the engine writing the archives
            loaded = _load_concurrently(client, refs, [base, 0, 0], source)
            orig, sq = loaded[0], loaded[1]
            rebuilt = loaded[2] if rebuild is not None else None
    except SquasherError:
        raise
    except Exception as err:  # the SDK's and requests' errors: the engine went away mid-stream
        raise EngineUnavailable(f"reading the images failed: {err}") from err
    return orig_id, sq_id, orig, sq, rebuilt


def _called(client: Any, image_id: str, loaded: _Loaded) -> frozenset[str]:
    """The command names the original's CMD, ENTRYPOINT and HEALTHCHECK run, and the scripts
    they name (read back from the image)."""
    argvs = config_commands(loaded.config)
    paths = script_paths(argvs, loaded.fs, str(loaded.config.get("WorkingDir") or "/"))
    scripts = [
        data.decode("utf-8", "replace")
        for data in read_files(client, image_id, paths).values()
        if data.startswith(b"#!")
    ]
    return called_names(argvs, scripts)
