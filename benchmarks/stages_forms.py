"""The output forms side by side on a sample: the original, the script form and the stages form.

    python -m benchmarks.stages_forms samples/c-make --edit hello.c [--builder classic]

For each form: size, layers, cold build (no cache), warm rebuild after a one-line change of the
``--edit`` file, and the deploy delta: the bytes of the rebuilt image's layers that the previous
version does not have (uncompressed layer tars, the figure a registry stores before compression).
Then ``squasher verify`` of the stages image against the original, with a second cold build of
the original as the evidence of what its own builds do not reproduce (files compiled from source
by pip embed a random build directory and the build time); ``--no-rebuild`` skips it. Prints
JSON and a Markdown table; timings are measured once, on whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FORMS = ("original", "script", "stages")


def _layers(client: Any, image: str) -> dict[str, int]:
    from squasher.inspect.streaming import read_image

    return {layer.diff_id: layer.size for layer in read_image(image, client=client).layers}


def measure(sample: Path, edit: str, builder: str, rebuild: bool = True) -> dict[str, Any]:
    from squasher.engine import Scratch, connect, inspect_image
    from squasher.inspect.verify import verify
    from squasher.rewriting import rewrite

    client = connect()
    out: dict[str, Any] = {"sample": sample.name, "builder": builder, "forms": {}}
    with tempfile.TemporaryDirectory(prefix="squasher-forms-") as tmp, Scratch(client) as scratch:
        ctx = Path(tmp) / sample.name
        shutil.copytree(sample, ctx, ignore=shutil.ignore_patterns(".squasher", "*.squashed*"))
        files = {"original": "Dockerfile"}
        # stages first: a rewrite removes the build.sh it no longer writes (the script form's)
        for form in ("stages", "script"):
            name = f"Dockerfile.{form}"
            rewrite(ctx / "Dockerfile", builder=builder, strategy=form, output=ctx / name).write()
            files[form] = name
        chosen: Any = "auto" if builder == "classic" else "buildkit"
        images: dict[str, str] = {}
        for form in FORMS:
            started = time.monotonic()
            result = scratch.build(ctx, files[form], builder=chosen, nocache=True)
            info = inspect_image(client, result.image_id)
            images[form] = result.image_id
            out["forms"][form] = {
                "size": info.size,
                "layers": info.layers,
                "cold_seconds": round(time.monotonic() - started, 1),
            }
        target = ctx / edit
        target.write_text(target.read_text() + _comment(edit))
        for form in FORMS:
            before = _layers(client, images[form])
            started = time.monotonic()
            result = scratch.build(ctx, files[form], builder=chosen)
            seconds = time.monotonic() - started
            after = _layers(client, result.image_id)
            entry = out["forms"][form]
            entry["warm_seconds"] = round(seconds, 1)
            entry["deploy_delta_bytes"] = sum(s for d, s in after.items() if d not in before)
            images[form] = result.image_id
        if rebuild:
            # from the same (edited) sources as the images verify compares
            again = scratch.build(ctx, files["original"], builder=chosen, nocache=True).image_id
            checked = verify(images["original"], images["stages"], client=client, rebuild=again)
        else:
            checked = verify(images["original"], images["stages"], client=client)
        out["verify_stages"] = checked.summary_line()
    return out


def _comment(path: str) -> str:
    if path.endswith((".c", ".h")):
        return "/* a one-line change */\n"
    return "# a one-line change\n"


def markdown(result: dict[str, Any]) -> str:
    rows = [
        f"{result['sample']} ({result['builder']}) | size MB | layers | cold s | warm s | "
        "deploy delta MB",
        "--- | --- | --- | --- | --- | ---",
    ]
    for form in FORMS:
        f = result["forms"][form]
        rows.append(
            f"{form} | {f['size'] / 1e6:.1f} | {f['layers']} | {f['cold_seconds']} | "
            f"{f['warm_seconds']} | {f['deploy_delta_bytes'] / 1e6:.2f}"
        )
    return "\n".join(rows) + f"\n\nverify original vs stages: {result['verify_stages']}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sample", type=Path)
    parser.add_argument("--edit", required=True, help="the file to change by one line")
    parser.add_argument("--builder", choices=("classic", "buildkit"), default="classic")
    parser.add_argument("--no-rebuild", action="store_true", help="no second original build")
    args = parser.parse_args(argv)
    result = measure(args.sample.resolve(), args.edit, args.builder, not args.no_rebuild)
    json.dump(result, sys.stdout, indent=2)
    print("\n\n" + markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
