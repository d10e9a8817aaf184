"""Where an instruction that must stay cuts a stage after packages were installed.

The purge and the cache cleanup run in the stage's last script (``squasher.plan.purge``). When a
kept instruction (``RUN --mount``, ``COPY --from``, a RUN under a USER the image cannot switch to
...) cuts the stage after a script installed packages, that script's layer is committed before
the purge runs: the purge removes the packages from the final filesystem but not a byte from the
image. The report says so for each such script; diff-size adds the layer's measured size.
"""

from __future__ import annotations

from collections.abc import Iterable

from squasher.pkg import MANAGERS, detect_ops
from squasher.plan.model import Original, RunStep, Segment, StagePlan
from squasher.plan.purge import run_text
from squasher.report.rewrite import PurgeSplit
from squasher.util.text import describe


def _install_lines(seg: Segment) -> list[int]:
    lines: list[int] = []
    for op in seg.ops:
        if not isinstance(op, RunStep):
            continue
        found = detect_ops(run_text(op.inst))
        if any(o.action == "install" and MANAGERS[o.manager].purges for o in found.ops):
            lines.append(op.inst.start_line)
    return lines


def purge_splits(stages: Iterable[StagePlan], script_path: dict[int, str]) -> list[PurgeSplit]:
    """Every script that installs packages and is followed, before the stage's purging script,
    by a kept instruction. ``script_path``: ``id(segment)`` -> the script's context path."""
    splits: list[PurgeSplit] = []
    for sp in stages:
        segments = sp.segments
        if len(segments) < 2:
            continue
        last = segments[-1]
        for i, item in enumerate(sp.items):
            if not isinstance(item, Segment) or not item.has_steps or item is last:
                continue
            installs = _install_lines(item)
            kept = next(
                (it for it in sp.items[i + 1 :] if isinstance(it, Original) and it.why), None
            )
            if not installs or kept is None:
                continue
            splits.append(
                PurgeSplit(
                    sp.key,
                    kept.inst.start_line,
                    describe(kept.inst.original, 120),
                    installs,
                    script_path.get(id(item), item.script_name),
                    script_path.get(id(last), last.script_name),
                )
            )
    return splits


def warning(split: PurgeSplit, name: str = "Dockerfile") -> str:
    """The report line for one split (with its bytes once diff-size measured them)."""
    installed = ", ".join(f"{name}:{n}" for n in split.install_lines)
    cost = ""
    if split.layer_bytes is not None:
        from squasher.util.units import human_bytes

        cost = f" ({split.script}'s layer: {human_bytes(split.layer_bytes)}"
        if split.purge_freed_bytes:
            cost += f", of which the purge removed {human_bytes(split.purge_freed_bytes)} from view"
        cost += ")"
    return (
        f"{name}:{split.kept_line}: {split.kept_instruction} stays an instruction after packages "
        f"were installed at {installed}: the purge runs in {split.purge_script}, a later layer, "
        f"and frees nothing of what {split.script}'s layer holds{cost}; "
        "--strategy stages builds in a stage of its own and keeps only the result"
    )
