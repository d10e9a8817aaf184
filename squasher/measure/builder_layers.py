"""What the layers the builder makes itself cost, measured once both images are built.

diff-size completes the rewrite report (a dict) with bytes read from the images' histories:

- ``kept[i].layer_bytes``: the layer of each instruction the rewrite kept (``RUN --mount``, a RUN
  under a USER the image cannot switch to ...), found by its command in the squashed history;
- ``purge_splits[i].layer_bytes`` / ``purge_freed_bytes``: the layer of a script that installed
  packages before a kept instruction, and what the stage's later purge removed from view only
  (``squasher-freed`` purge lines of the build log); the warning is rewritten with both figures;
- ``onbuild``: the final stage's base ONBUILD triggers and the size of the layer each made, the
  history entries right after the base's own (the same in both images: the builder runs them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from squasher.render.dockerfile import INLINE_SUFFIX


class _Layer(Protocol):
    size: int
    created_by: str


def _norm(text: str) -> str:
    return " ".join(text.split())


def kept_layer_bytes(kept: list[dict[str, Any]], layers: Sequence[_Layer]) -> None:
    """Set ``layer_bytes`` of each kept RUN from the squashed image's history (None: not found)."""
    used: set[int] = set()
    for entry in kept:
        entry["layer_bytes"] = None
        text = _norm(str(entry.get("instruction", "")))
        if not text.upper().startswith("RUN ") or text.endswith("..."):
            continue
        words = text[4:].split()
        while words and words[0].startswith("--"):
            words.pop(0)  # RUN --mount=... : the history shows the command
        command = " ".join(words)
        for i, layer in enumerate(layers):
            if i not in used and command and command in _norm(layer.created_by):
                used.add(i)
                entry["layer_bytes"] = layer.size
                break


def _runs(created_by: str, script: str) -> bool:
    """Whether a history entry is the RUN of ``script`` (its staged or mounted path, whose
    directory differs by strategy; never the COPY that stages it)."""
    text = _norm(created_by).removesuffix(" # buildkit")
    if text.startswith("COPY "):
        return False
    if script.endswith(INLINE_SUFFIX):  # the script itself is the command, its path in a comment
        return f"# {script}," in text
    base = script.rsplit("/", 1)[-1]
    return text.endswith("/" + base)


def purge_split_bytes(
    data: dict[str, Any], layers: Sequence[_Layer], log: str, name: str = "Dockerfile"
) -> None:
    """Fill the purge splits' bytes and rewrite their warnings with them."""
    from squasher.pkg.base import parse_freed_log
    from squasher.plan.purge_split import warning
    from squasher.report.rewrite import PurgeSplit

    purged = [f.kib * 1024 for f in parse_freed_log(log) if f.what == "purge"]
    freed = sum(purged) if purged else None  # None: a cached build printed nothing
    warnings: list[str] = data.setdefault("warnings", [])
    for entry in data.get("purge_splits", []):
        before = warning(PurgeSplit(**entry), name)
        sizes = [layer.size for layer in layers if _runs(layer.created_by, entry["script"])]
        entry["layer_bytes"] = sum(sizes) if sizes else None
        entry["purge_freed_bytes"] = freed
        after = warning(PurgeSplit(**entry), name)
        warnings[:] = [after if w == before else w for w in warnings]


def onbuild_layers(
    client: Any, dockerfile: Path, layers: Sequence[_Layer], base_info: Any
) -> list[dict[str, Any]]:
    """The final stage's base triggers with the bytes of the layer each one made."""
    from squasher.parse import parse_file
    from squasher.plan.planner import Planner, PlanOptions

    try:
        df = parse_file(dockerfile)
    except Exception:  # the rewrite parsed it already; never fail the measure on this
        return []
    if not df.stages or base_info is None:
        return []
    planner = Planner(df, PlanOptions())
    ref = planner.base_ref(df.stages[-1])
    if ref.lower() in {s.name.lower() for s in df.stages if s.name}:
        return []
    info = base_info(ref)
    if info is None or not info.onbuild:
        return []
    try:
        start = len(client.api.history(ref))
    except Exception:
        return []
    out: list[dict[str, Any]] = []
    for i, trigger in enumerate(info.onbuild):
        layer = layers[start + i] if start + i < len(layers) else None
        out.append({"base": ref, "trigger": trigger, "layer_bytes": layer.size if layer else None})
    return out


def complete(
    data: dict[str, Any],
    *,
    client: Any,
    dockerfile: Path,
    original: Sequence[_Layer],
    squashed: Sequence[_Layer],
    log: str,
    base_info: Any,
) -> None:
    """Everything above, on the report dict diff-size returns."""
    name = dockerfile.name
    kept_layer_bytes(data.get("kept", []), squashed)
    purge_split_bytes(data, squashed, log, name)
    data["onbuild"] = onbuild_layers(client, dockerfile, original, base_info)
    if data["onbuild"]:
        from squasher.util.units import human_bytes as size

        total = sum(t["layer_bytes"] or 0 for t in data["onbuild"])
        data["warnings"].append(
            f"{name}: the ONBUILD triggers of {data['onbuild'][0]['base']} made "
            f"{len(data['onbuild'])} layer(s), {size(total)}, in the original and the same in "
            "the squashed image (the builder runs them at the FROM)"
        )
