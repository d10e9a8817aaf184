"""``squasher analyze``: where an image's bytes go, dive's figures, and what dive cannot see.

Library entry point: :func:`analyze` returns an :class:`Analysis`; :func:`evaluate_ci` applies
dive's CI rules to it; :func:`render_text` and :meth:`Analysis.to_json` format it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from squasher.inspect.ci_thresholds import ThresholdError as ThresholdError  # re-exported
from squasher.inspect.ci_thresholds import parse_bytes, parse_ratio
from squasher.inspect.efficiency import WastedPath, efficiency
from squasher.inspect.layers import (
    FileEntry,
    Image,
    MergedTree,
    final_filesystem,
)
from squasher.inspect.reclaimable import Reclaimable, owners_from, reclaimable
from squasher.inspect.streaming import ImageSource, OpenedImage, read_image
from squasher.util.units import human_bytes

# dive's CI rule names and defaults (dive 0.13 ``--ci`` flags)
CI_DEFAULTS: dict[str, str] = {
    "lowestEfficiency": "0.9",
    "highestWastedBytes": "disabled",
    "highestUserWastedPercent": "0.1",
}


@dataclass(frozen=True)
class LayerReport:
    """One layer: its size, the instruction that made it, and what it did to the layers below."""

    index: int
    diff_id: str
    size: int  # tar header sizes summed (dive's and ``docker history``'s layer size)
    instruction: str  # created_by without the classic builder's "/bin/sh -c"
    created_by: str  # as the image config has it
    added: int  # entries at paths the layers below did not have
    changed: int  # entries replacing a different entry (type, mode, owner, content or target)
    removed: int  # entries of the layers below that this layer deletes


@dataclass(frozen=True)
class RuleResult:
    """One dive CI rule applied to an analysis."""

    name: str  # lowestEfficiency | highestWastedBytes | highestUserWastedPercent
    status: str  # PASS | FAIL | SKIP
    threshold: str  # as given ("disabled" when skipped)
    message: str = ""


@dataclass
class Analysis:
    """Everything ``squasher analyze`` reports about one image."""

    image: str  # the reference asked for
    id: str  # image id ("sha256:...")
    size: int  # sum of layer sizes (dive's image size)
    user_size: int  # all layers but the first
    final_size: int  # regular-file bytes of the merged filesystem, hard links once
    efficiency: float
    wasted_bytes: int
    user_wasted_ratio: float
    layers: list[LayerReport]
    wasted: list[WastedPath]  # every path seen in two or more layers, largest first
    reclaimable: Reclaimable
    ci: list[RuleResult] = field(default_factory=list)  # filled by evaluate_ci

    @property
    def ci_passed(self) -> bool:
        return all(rule.status != "FAIL" for rule in self.ci)

    def to_json(self, top: int = 10) -> dict[str, Any]:
        """A JSON-ready dict (keys are stable; ratios are null when infinite)."""
        data: dict[str, Any] = {
            "image": self.image,
            "id": self.id,
            "size": self.size,
            "user_size": self.user_size,
            "final_size": self.final_size,
            "efficiency": _finite(self.efficiency),
            "wasted_bytes": self.wasted_bytes,
            "user_wasted_ratio": _finite(self.user_wasted_ratio),
            "layers": [
                {
                    "index": layer.index,
                    "diff_id": layer.diff_id,
                    "size": layer.size,
                    "instruction": layer.instruction,
                    "created_by": layer.created_by,
                    "added": layer.added,
                    "changed": layer.changed,
                    "removed": layer.removed,
                }
                for layer in self.layers
            ],
            "wasted_files": len(self.wasted),
            "top_wasted": [
                {"path": w.path, "count": w.count, "bytes": w.cumulative_size}
                for w in self.wasted[:top]
            ],
            "reclaimable": {
                "total": self.reclaimable.total,
                "categories": [
                    {
                        "name": c.name,
                        "description": c.description,
                        "bytes": c.bytes,
                        "files": c.files,
                        "largest": [{"path": p, "bytes": b} for p, b in c.largest],
                        **({"packages": c.packages} if c.packages else {}),
                    }
                    for c in self.reclaimable.categories
                ],
            },
        }
        if self.ci:
            data["ci"] = {
                "passed": self.ci_passed,
                "rules": [
                    {
                        "name": r.name,
                        "status": r.status,
                        "threshold": r.threshold,
                        "message": r.message,
                    }
                    for r in self.ci
                ],
            }
        return data


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _same(a: FileEntry, b: FileEntry) -> bool:
    """Equal for the per-layer counts: timestamps ignored, a hard link equal to its content."""
    kind_a = "file" if a.kind == "hardlink" else a.kind
    kind_b = "file" if b.kind == "hardlink" else b.kind
    link_a = a.linkname if a.kind == "symlink" else None
    link_b = b.linkname if b.kind == "symlink" else None
    return (kind_a, a.mode, a.uid, a.gid, a.size, a.sha256, link_a, a.xattrs) == (
        kind_b,
        b.mode,
        b.uid,
        b.gid,
        b.size,
        b.sha256,
        link_b,
        b.xattrs,
    )


def layer_reports(image: Image) -> list[LayerReport]:
    """Per layer: what it adds, changes and removes relative to the merged layers below it."""
    tree = MergedTree()
    reports: list[LayerReport] = []
    for position, layer in enumerate(image.layers):
        added = changed = removed = 0
        for directory in layer.opaque_dirs:
            removed += tree.clear_below(directory)
        for path in layer.whiteouts:
            removed += tree.remove(path)
        for entry in layer.entries:
            old = tree.entries.get(entry.path)
            if old is None:
                added += 1
            elif not _same(old, entry):
                changed += 1
            removed += tree.put(entry, position)
        history = layer.history
        reports.append(
            LayerReport(
                index=layer.index,
                diff_id=layer.diff_id,
                size=layer.size,
                instruction=layer.instruction,
                created_by=history.created_by if history is not None else "",
                added=added,
                changed=changed,
                removed=removed,
            )
        )
    return reports


def analyze_image(
    image: Image,
    build_packages: Collection[str] | Callable[[str], bool] | None = None,
) -> Analysis:
    """The analysis of an image already read (``streaming.read_image`` / ``saved.read_image_archive``)."""
    figures = efficiency(image.layers)
    reports = layer_reports(image)
    fs = final_filesystem(image)
    owners = owners_from(fs)
    return Analysis(
        image=image.ref,
        id=image.id,
        size=figures.size,
        user_size=figures.user_size,
        final_size=fs.size,
        efficiency=figures.efficiency,
        wasted_bytes=figures.wasted_bytes,
        user_wasted_ratio=figures.user_wasted_ratio,
        layers=reports,
        wasted=figures.wasted,
        reclaimable=reclaimable(fs, owners, build_packages),
    )


def analyze(
    image: str,
    *,
    client: Any = None,
    build_packages: Collection[str] | Callable[[str], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
    opened: OpenedImage | None = None,
    source: ImageSource = "auto",
) -> Analysis:
    """Analyze ``image``: a reference the engine knows, or the path of an image archive
    (``docker save``'s docker-archive, or an OCI image layout archive).

    ``progress(bytes_read, approx_total)`` is called while the image streams; ``opened`` is the
    stream ``streaming.open_engine_image`` already started for ``image``. ``source`` says how an
    engine's image is read (``streaming.read_image``): from the engine's storage when it is on this
    machine ("auto", the default), only from there ("storage"), or from ``docker save`` ("save").
    """
    from squasher.inspect import pkgdb

    img = read_image(
        image,
        client=client,
        keep=pkgdb.is_database_file,
        progress=progress,
        opened=opened,
        source=source,
    )
    return analyze_image(img, build_packages)


# ---------------------------------------------------------------------------------------------
# dive's CI rules


def evaluate_ci(
    analysis: Analysis,
    lowest_efficiency: str = CI_DEFAULTS["lowestEfficiency"],
    highest_wasted_bytes: str = CI_DEFAULTS["highestWastedBytes"],
    highest_user_wasted_percent: str = CI_DEFAULTS["highestUserWastedPercent"],
) -> list[RuleResult]:
    """Apply dive's three CI rules (same names, defaults and comparisons); "disabled" skips one.

    Raises ThresholdError for a value dive would call misconfigured. Stores and returns the results.
    """
    given = {
        "lowestEfficiency": lowest_efficiency,
        "highestWastedBytes": highest_wasted_bytes,
        "highestUserWastedPercent": highest_user_wasted_percent,
    }
    # validate all first, as dive does
    checks: dict[str, float | int] = {}
    for name, text in given.items():
        if text == "disabled":
            continue
        if name == "highestWastedBytes":
            checks[name] = parse_bytes(text)
        else:
            checks[name] = parse_ratio(name, text)
    results: list[RuleResult] = []
    for name, text in given.items():
        if name not in checks:
            results.append(RuleResult(name, "SKIP", "disabled", "rule disabled"))
            continue
        limit = checks[name]
        message = ""
        if name == "lowestEfficiency" and limit > analysis.efficiency:
            message = (
                f"image efficiency is too low (efficiency={analysis.efficiency} < threshold={text})"
            )
        elif name == "highestWastedBytes" and analysis.wasted_bytes > limit:
            message = (
                f"too many bytes wasted (wasted-bytes={analysis.wasted_bytes} > threshold={limit})"
            )
        elif name == "highestUserWastedPercent" and limit < analysis.user_wasted_ratio:
            message = (
                "too many bytes wasted, relative to the user bytes added "
                f"(%-user-wasted-bytes={analysis.user_wasted_ratio} > threshold={text})"
            )
        results.append(RuleResult(name, "FAIL" if message else "PASS", text, message))
    analysis.ci = results
    return results


# ---------------------------------------------------------------------------------------------
# text output


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def render_text(analysis: Analysis, top: int = 10) -> str:
    """The human report (deterministic)."""
    out: list[str] = []
    out.append(f"Image: {analysis.image}  {analysis.id}")
    out.append(
        f"Size: {human_bytes(analysis.size)} ({analysis.size} bytes) in {len(analysis.layers)} "
        f"layer(s); final filesystem {human_bytes(analysis.final_size)}"
    )
    out.append("")
    out.append(f"{'#':>3}  {'Size':>8}  {'Added':>6}  {'Changed':>7}  {'Removed':>7}  Instruction")
    for layer in analysis.layers:
        out.append(
            f"{layer.index:>3}  {human_bytes(layer.size):>8}  {layer.added:>6}  {layer.changed:>7}  "
            f"{layer.removed:>7}  {_one_line(layer.instruction or '(no history)', 80)}"
        )
    out.append("")
    ratio = analysis.user_wasted_ratio
    user = f"{ratio * 100:.4f} %" if math.isfinite(ratio) else "inf"
    out.append(f"efficiency: {analysis.efficiency * 100:.4f} %")
    out.append(f"wastedBytes: {analysis.wasted_bytes} bytes ({human_bytes(analysis.wasted_bytes)})")
    out.append(f"userWastedPercent: {user}")
    out.append("")
    if analysis.wasted:
        shown = analysis.wasted[:top]
        out.append(f"Top wasted files ({len(shown)} of {len(analysis.wasted)}):")
        out.append(f"{'Count':>5}  {'Wasted':>8}  Path")
        for w in shown:
            out.append(f"{w.count:>5}  {human_bytes(w.cumulative_size):>8}  {w.path}")
    else:
        out.append("Top wasted files: none")
    out.append("")
    rec = analysis.reclaimable
    out.append(
        f"Reclaimable in the final filesystem (dive cannot see these): "
        f"{human_bytes(rec.total)} ({rec.total} bytes)"
    )
    for c in rec.categories:
        extra = ""
        if c.packages:
            names = ", ".join(c.packages[:8]) + (", ..." if len(c.packages) > 8 else "")
            extra = f"  [{names}]"
        out.append(
            f"  {c.name:<15} {human_bytes(c.bytes):>8}  {c.files:>6} file(s)  {c.description}{extra}"
        )
    if analysis.ci:
        out.append("")
        out.append("CI rules:")
        for r in analysis.ci:
            line = f"  {r.status}: {r.name}"
            if r.message:
                line += f": {r.message}"
            elif r.status == "SKIP":
                line += ": rule disabled"
            out.append(line)
        out.append(f"Result: {'PASS' if analysis.ci_passed else 'FAIL'}")
    return "\n".join(out) + "\n"
