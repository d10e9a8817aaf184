"""``squasher verify``: prove the squashed image is the original minus what was meant to go.

Both images are streamed out of the engine (``layers.read_image``; only per-path metadata and the
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
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from squasher.errors import EngineUnavailable, SquasherError
from squasher.inspect.classify import (
    ADDED,
    CATEGORIES,
    CHANGED,
    CONFIG,
    EXPECTED,
    PROTECTED,
    REMOVED,
    SMOKE,
    UNEXPECTED,
    Classifier,
    Difference,
    Evidence,
    evidence_from_report,
)
from squasher.inspect.layers import FileEntry, FinalFilesystem
from squasher.inspect.pkgdb import PackageDB
from squasher.inspect.verify_readback import elf_needed, purged_but_needed, pyc_timestamp_only
from squasher.inspect.verify_smoke import (
    SMOKE_TIMEOUT,
    SmokeOutcome,
    SmokeResult,
    run_smoke,
    smoke_difference,
)

__all__ = [
    "Difference",
    "ImageSide",
    "SmokeOutcome",
    "SmokeResult",
    "VerifyResult",
    "compare_config",
    "compare_filesystems",
    "elf_needed",
    "run_smoke",
    "verify",
]

# the image-config keys compared, in report order
CONFIG_KEYS = (
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "Shell",
    "OnBuild",
)


@dataclass(frozen=True)
class ImageSide:
    """One of the two images compared."""

    ref: str  # as the user named it
    id: str  # the engine's image id
    paths: int  # entries in the final filesystem
    size: int  # bytes of regular-file content (hard-linked inodes once)
    package_managers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "id": self.id,
            "paths": self.paths,
            "size": self.size,
            "package_managers": list(self.package_managers),
        }


@dataclass
class VerifyResult:
    """The classified differences between two images, and the smoke runs."""

    original: ImageSide
    squashed: ImageSide
    differences: list[Difference]
    smoke: list[SmokeResult] = field(default_factory=list)
    purged_packages: list[str] = field(default_factory=list)  # installed in the original only
    extra_packages: list[str] = field(default_factory=list)  # installed in the squashed only

    @property
    def equivalent(self) -> bool:
        """True when nothing unexpected differs (smoke commands included)."""
        return not any(d.category == UNEXPECTED for d in self.differences)

    @property
    def exit_code(self) -> int:
        return 0 if self.equivalent else 1

    def of(self, category: str) -> list[Difference]:
        return [d for d in self.differences if d.category == category]

    def summary(self) -> dict[str, dict[str, int]]:
        """Per class: how many differences and how many bytes they involve."""
        out = {c: {"count": 0, "bytes": 0} for c in CATEGORIES}
        for d in self.differences:
            out[d.category]["count"] += 1
            out[d.category]["bytes"] += d.size
        return out

    def summary_line(self) -> str:
        s = self.summary()
        parts = [f"{c} {s[c]['count']} ({human_bytes(s[c]['bytes'])})" for c in CATEGORIES]
        verdict = "equivalent" if self.equivalent else "NOT equivalent"
        return f"summary: {', '.join(parts)}: {verdict}"

    def to_json(self) -> dict[str, Any]:
        return {
            "original": self.original.to_json(),
            "squashed": self.squashed.to_json(),
            "equivalent": self.equivalent,
            "summary": self.summary(),
            "purged_packages": self.purged_packages,
            "extra_packages": self.extra_packages,
            "differences": [d.to_json() for d in self.differences],
            "smoke": [s.to_json() for s in self.smoke],
        }

    def format_text(self, verbose: bool = False) -> str:
        """Human report: unexpected differences path by path, the rest grouped by reason."""
        lines = [
            f"original  {self.original.ref} ({_short(self.original.id)}), "
            f"{self.original.paths} paths, {human_bytes(self.original.size)}",
            f"squashed  {self.squashed.ref} ({_short(self.squashed.id)}), "
            f"{self.squashed.paths} paths, {human_bytes(self.squashed.size)}",
        ]
        for d in self.of(UNEXPECTED):
            what = "; ".join(d.details) if d.details else ""
            if d.change in (REMOVED, ADDED) and d.size:
                what = f"{what}; {human_bytes(d.size)}" if what else human_bytes(d.size)
            if d.reason:
                what = f"{what} ({d.reason})" if what else d.reason
            lines.append(f"unexpected  {d.change:<8} {d.path}  {what}".rstrip())
            if d.change == SMOKE:
                lines.extend(self._smoke_lines(d.path))
        for category in (PROTECTED, EXPECTED):
            diffs = self.of(category)
            if verbose:
                for d in diffs:
                    detail = "; ".join(d.details)
                    tail = f"{detail} ({d.reason})" if detail else d.reason
                    lines.append(f"{category:<10}  {d.change:<8} {d.path}  {tail}")
                continue
            groups: dict[str, list[Difference]] = {}
            for d in diffs:
                groups.setdefault(d.reason, []).append(d)
            for reason in sorted(groups, key=lambda r: (-sum(d.size for d in groups[r]), r)):
                g = groups[reason]
                total = sum(d.size for d in g)
                n = f"{len(g)} path" if len(g) == 1 else f"{len(g)} paths"
                lines.append(f"{category:<10}  {reason}: {n}, {human_bytes(total)}")
        for s in self.smoke:
            if s.same:
                lines.append(f"smoke       same: {s.command} (exit {s.original.exit_code})")
        lines.append(self.summary_line())
        return "\n".join(lines) + "\n"

    def _smoke_lines(self, command: str) -> list[str]:
        """What a differing smoke command did in each image, shortened."""
        out = []
        for s in self.smoke:
            if s.command != command:
                continue
            for side, o in (("original", s.original), ("squashed", s.squashed)):
                shown = o.error or f"exit {o.exit_code}"
                for name, text in (("stdout", o.stdout), ("stderr", o.stderr)):
                    if text:
                        short = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
                        shown += f", {name} {short!r}"
                out.append(f"            {side}: {shown}")
        return out


_SHOWN = 160  # characters of a smoke command's output shown in the text report


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # unreachable


def _short(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]


# ------------------------------------------------------------------------------ config


def _empty_to_none(value: Any) -> Any:
    return None if value in (None, "", [], {}) else value


# what the engine gives a container whose image sets no PATH (builders write it into new images)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _env(values: Any) -> dict[str, str]:
    out: dict[str, str] = {"PATH": DEFAULT_PATH}
    for item in values or []:
        key, _, value = str(item).partition("=")
        out[key] = value
    return out


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def compare_config(original: dict[str, Any], squashed: dict[str, Any]) -> list[Difference]:
    """Differences between two image configs (the ``config`` object of the image JSON).

    Env, Labels, ExposedPorts and Volumes are compared key by key (path ``Env.KEY``, ...); the others
    as whole values. Unset, empty string, ``[]`` and ``{}`` are the same; an Env without PATH has
    the engine's default PATH (what a container of it sees).
    """
    diffs: list[Difference] = []
    for key in CONFIG_KEYS:
        o, s = original.get(key), squashed.get(key)
        if key in ("Env", "Labels"):
            om = _env(o) if key == "Env" else dict(o or {})
            sm = _env(s) if key == "Env" else dict(s or {})
            for k in sorted(set(om) | set(sm)):
                if k not in sm:
                    detail = f"{key} {k} removed (was {om[k]!r})"
                elif k not in om:
                    detail = f"{key} {k} added: {sm[k]!r}"
                elif om[k] != sm[k]:
                    detail = f"{key} {k}: {om[k]!r} -> {sm[k]!r}"
                else:
                    continue
                diffs.append(Difference(path=f"{key}.{k}", change=CONFIG, details=(detail,)))
        elif key in ("ExposedPorts", "Volumes"):
            os_, ss = set(o or {}), set(s or {})
            for k in sorted(os_ ^ ss):
                verb = "removed" if k in os_ else "added"
                diffs.append(
                    Difference(path=f"{key}.{k}", change=CONFIG, details=(f"{key} {k} {verb}",))
                )
        else:
            o, s = _empty_to_none(o), _empty_to_none(s)
            if o != s:
                diffs.append(
                    Difference(
                        path=key, change=CONFIG, details=(f"{key} {_show(o)} -> {_show(s)}",)
                    )
                )
    return diffs


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


class _Cancelled(Exception):
    """Raised inside a reader thread to stop its stream (Ctrl-C, or the other image failed)."""


def _load(client: Any, ref: str, cancel: threading.Event | None = None) -> _Loaded:
    from squasher.inspect import pkgdb
    from squasher.inspect.layers import final_filesystem, read_image

    def progress(_done: int, _total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise _Cancelled(ref)

    image = read_image(ref, client=client, keep=pkgdb.is_database_file, progress=progress)
    fs = final_filesystem(image)
    config = dict(image.config.get("config") or {})
    image.layers.clear()  # per-layer entries are not needed any more
    contents = [
        (p, e.content)
        for p, e in fs.entries.items()
        if e.content is not None and pkgdb.is_database_file(p)
    ]
    db = pkgdb.from_contents(contents)
    # the bytes are parsed: drop them from the entries
    for p, _content in contents:
        fs.entries[p] = dataclasses.replace(fs.entries[p], content=None)
    side = ImageSide(
        ref=ref,
        id=image.id,
        paths=len(fs),
        size=fs.size,
        package_managers=tuple(db.managers),
    )
    return _Loaded(side=side, config=config, fs=fs, db=db)


def _load_concurrently(client: Any, refs: Sequence[str]) -> list[_Loaded]:
    """``_load`` each ref in its own daemon thread. On Ctrl-C or a failed read the others are told
    to stop at their next chunk and are not waited for (the engine may take a while to start
    streaming a large image), so the process can exit at once."""
    cancel = threading.Event()
    results: list[_Loaded | None] = [None] * len(refs)
    errors: list[BaseException] = []

    def work(i: int, ref: str) -> None:
        try:
            results[i] = _load(client, ref, cancel)
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


def _image_id(client: Any, ref: str) -> str:
    import docker.errors

    from squasher.inspect.layers import ImageNotFound
    from squasher.inspect.saved import is_archive_path

    if is_archive_path(ref):  # an image archive file stands for itself
        return ref
    try:
        return str(client.api.inspect_image(ref)["Id"])
    except docker.errors.ImageNotFound as err:
        raise ImageNotFound(f"no such image: {ref}") from err


def _read_report(report: Any) -> Any:
    if isinstance(report, str | os.PathLike):
        try:
            with open(report, encoding="utf-8") as f:
                return json.load(f)
        except OSError as err:
            raise SquasherError(f"cannot read report: {err.strerror}", path=str(report)) from err
        except json.JSONDecodeError as err:
            raise SquasherError(
                f"report is not JSON: {err.msg}", path=str(report), line=err.lineno
            ) from err
    return report


def _client() -> Any:
    from squasher.engine.connect import connect

    return connect()


def verify(
    original: str,
    squashed: str,
    *,
    smoke: Sequence[str] = (),
    report: Any = None,
    client: Any = None,
    smoke_timeout: int = SMOKE_TIMEOUT,
    build_log: str | None = None,
    rebuild: str | None = None,
) -> VerifyResult:
    """Compare image ``original`` with image ``squashed`` (names or ids on the engine, or paths of
    image archives: docker-archive or OCI image layout; those need no engine).

    ``report``: the rewrite report (object, dict, or the path of its JSON file) — names the runtime
    packages the rewrite protected (with the original line that purged them) and cleanup paths.
    ``smoke``: commands run in a container of each image, compared by exit code and output.
    ``build_log``: the output of the squashed image's build: the ``squasher-protect`` lines its
    build.sh printed name the protected packages and the original line whose removal they survived.
    ``rebuild``: a second build of the original (``--no-cache``): what differs between the two
    builds (locally compiled wheels, embedded build paths) is expected, not blamed on the rewrite.
    ``client``: a docker SDK client (default: the configured engine).
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
    evidence_source: list[Any] = []
    if report is not None:
        evidence_source.append(_read_report(report))
    if build_log is not None:
        from squasher.pkg.base import parse_protect_log

        evidence_source.append(parse_protect_log(build_log))
    protected, cleanup = evidence_from_report(evidence_source)
    try:
        # fail fast on a missing image, before streaming the other one
        orig_id, sq_id = _image_id(client, original), _image_id(client, squashed)
        rebuild_id = _image_id(client, rebuild) if rebuild is not None else None
        rebuilt: _Loaded | None = None
        if orig_id == sq_id and rebuild_id in (None, orig_id):
            orig = _load(client, original)
            sq = dataclasses.replace(orig, side=dataclasses.replace(orig.side, ref=squashed))
        else:
            # the streams at once: the time goes into the engine writing the archives
            loaded = _load_concurrently(client, refs)
            orig, sq = loaded[0], loaded[1]
            rebuilt = loaded[2] if rebuild is not None else None
    except SquasherError:
        raise
    except Exception as err:  # the SDK's and requests' errors: the engine went away mid-stream
        raise EngineUnavailable(f"reading the images failed: {err}") from err
    evidence = Evidence(
        original_db=orig.db,
        squashed_db=sq.db,
        protected=protected,
        cleanup_globs=cleanup,
        resolve_original=make_resolver(orig.fs),
        resolve_squashed=make_resolver(sq.fs),
    )
    raw = list(compare_filesystems(orig.fs, sq.fs))
    evidence.timestamp_only = pyc_timestamp_only(client, orig_id, sq_id, raw)
    if rebuilt is not None:
        evidence.not_reproducible = frozenset(
            (d.path, d.change) for d in compare_filesystems(orig.fs, rebuilt.fs)
        )
        del rebuilt
    classifier = Classifier(evidence)
    diffs = classifier.classify_all(raw)
    diffs = purged_but_needed(client, sq_id, sq.fs, classifier, diffs)
    diffs.extend(compare_config(orig.config, sq.config))
    smoke_results = run_smoke(client, original, squashed, smoke, smoke_timeout) if smoke else []
    diffs.extend(smoke_difference(s) for s in smoke_results if not s.same)
    both = bool(orig.db.managers) and bool(sq.db.managers)
    return VerifyResult(
        original=orig.side,
        squashed=sq.side,
        differences=diffs,
        smoke=smoke_results,
        purged_packages=sorted(set(orig.db.installed) - set(sq.db.installed)) if both else [],
        extra_packages=sorted(set(sq.db.installed) - set(orig.db.installed)) if both else [],
    )
