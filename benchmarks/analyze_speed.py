"""``squasher analyze`` against ``docker save`` and ``dive --ci`` on images of three sizes.

The target: analyze takes at most 1.1x the time of ``docker save`` of the same image. On a local
engine analyze reads the layers from the engine's storage (the same layer tars, checked against
their digests) without waiting for the engine to write the archive; ``analyze --source save``,
which reads the ``docker save`` stream itself, is timed beside it. Each image is busybox plus generated files — 90% of the bytes
in 1 MB files, the rest in 1 kB files, so that both the hashing and the per-file walk count.

    python -m benchmarks.analyze_speed                       # 20, 90 and 1500 MB, 3 runs each
    python -m benchmarks.analyze_speed --sizes 20,90 --repeat 5 --json out.json

The full benchmark (``python -m benchmarks``) runs it among its micro-benchmarks. The four
commands are alternated run by run, so that a load change on the machine hits all three alike.
Nothing here asserts the target; the figures are reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.micro import Timing, compile_bytecode, dive_cli, squasher_cli, time_command

DEFAULT_SIZES_MB = (20, 90, 1500)
BASE = "busybox:latest"
TARGET_RATIO = 1.1


def dockerfile_for(megabytes: int, base: str = BASE) -> str:
    """A Dockerfile whose one RUN adds ``megabytes`` MB: 1 MB files and 1 kB files (9:1 in bytes)."""
    big = max(1, megabytes * 9 // 10)
    small = max(1, (megabytes - big) * 1000)
    return (
        f"FROM {base}\n"
        "RUN mkdir -p /data/big /data/small \\\n"
        f" && i=0; while [ $i -lt {big} ]; do"
        " head -c 1000000 /dev/urandom > /data/big/f$i; i=$((i+1)); done \\\n"
        f" && i=0; while [ $i -lt {small} ]; do"
        " head -c 1000 /dev/urandom > /data/small/f$i; i=$((i+1)); done\n"
    )


@dataclass
class SizeTiming:
    megabytes: int
    image_bytes: int = 0
    docker_save: Timing = field(default_factory=Timing)
    squasher_analyze: Timing = field(default_factory=Timing)
    squasher_analyze_save: Timing = field(default_factory=Timing)  # --source save
    dive_ci: Timing = field(default_factory=Timing)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        """analyze / docker save, medians."""
        if self.squasher_analyze.median and self.docker_save.median:
            return round(self.squasher_analyze.median / self.docker_save.median, 3)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "megabytes": self.megabytes,
            "image_bytes": self.image_bytes,
            "docker_save": self.docker_save.to_json(),
            "squasher_analyze": self.squasher_analyze.to_json(),
            "squasher_analyze_save": self.squasher_analyze_save.to_json(),
            "dive_ci": self.dive_ci.to_json(),
            "analyze_over_save": self.ratio,
            "target_ratio": TARGET_RATIO,
            "error": self.error,
        }


def _docker_cli() -> str | None:
    return shutil.which("docker")


def time_size(client: Any, megabytes: int, repeat: int, base: str = BASE) -> SizeTiming:
    """Build the image of ``megabytes`` MB, time the three commands ``repeat`` times, remove it."""
    result = SizeTiming(megabytes)
    docker, dive = _docker_cli(), dive_cli()
    if docker is None:
        result.error = "the docker CLI is not installed (docker save is the reference)"
        return result
    tag = f"squasher-bench-analyze:{megabytes}mb-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="squasher-bench-analyze-") as tmp:
        cwd = Path(tmp)
        (cwd / "Dockerfile").write_text(dockerfile_for(megabytes, base))
        try:
            client.images.build(path=str(cwd), tag=tag, rm=True, forcerm=True)
            result.image_bytes = int(client.api.inspect_image(tag)["Size"])
            save = ["sh", "-c", '"$0" save "$1" > /dev/null', docker, tag]
            for _ in range(repeat):
                timing, _ = time_command(save, 1, cwd)
                result.docker_save.runs.extend(timing.runs)
                timing, _ = time_command([*squasher_cli(), "analyze", tag], 1, cwd)
                result.squasher_analyze.runs.extend(timing.runs)
                stream = [*squasher_cli(), "analyze", "--source", "save", tag]
                timing, _ = time_command(stream, 1, cwd)
                result.squasher_analyze_save.runs.extend(timing.runs)
                if dive is not None:
                    timing, _ = time_command([dive, "--ci", "--source", "docker", tag], 1, cwd)
                    result.dive_ci.runs.extend(timing.runs)
        except Exception as err:  # a failed size is reported, the others still run
            result.error = str(err)[:400]
        finally:
            try:
                client.api.remove_image(tag, force=True)
            except Exception as err:
                result.error = result.error or f"cannot remove {tag}: {err}"
    return result


def run_sizes(
    client: Any,
    sizes: Sequence[int] = DEFAULT_SIZES_MB,
    repeat: int = 3,
    log: Callable[[str], None] = lambda _: None,
) -> list[dict[str, Any]]:
    out = []
    for megabytes in sizes:
        log(f"micro: squasher analyze vs docker save vs dive --ci, {megabytes} MB image")
        out.append(time_size(client, megabytes, repeat).to_json())
    return out


def _seconds(timing: dict[str, Any]) -> str:
    median = timing.get("median_seconds")
    return f"{median:.2f} s" if median is not None else "—"


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| image | docker save | squasher analyze | analyze --source save | dive --ci "
        "| analyze / save |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ratio = row.get("analyze_over_save")
        lines.append(
            f"| {row['image_bytes'] / 1e6:,.0f} MB | {_seconds(row['docker_save'])} | "
            f"{_seconds(row['squasher_analyze'])} | "
            f"{_seconds(row.get('squasher_analyze_save') or {})} | {_seconds(row['dive_ci'])} | "
            f"{f'{ratio:.2f}x' if ratio is not None else '—'} |"
            + (f" error: {row['error']}" if row.get("error") else "")
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    from squasher.engine import connect

    p = argparse.ArgumentParser(prog="python -m benchmarks.analyze_speed", description=__doc__)
    p.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES_MB)), help="MB, comma-separated"
    )
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    compile_bytecode()
    rows = run_sizes(connect(), sizes, args.repeat, log=lambda m: print(m, file=sys.stderr))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(markdown(rows))


if __name__ == "__main__":
    main()
