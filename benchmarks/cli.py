"""``python -m benchmarks``: build every sample side by side and write the results.

    python -m benchmarks                          # everything (about an hour on 2 cores)
    python -m benchmarks --samples seed,c-make    # some samples
    python -m benchmarks --skip-slow --no-warm    # the cheap samples, cold builds only
    python -m benchmarks --variants squashed,reference
    python -m benchmarks --render-only            # RESULTS.md, chart.svg, README from results.json
    python -m benchmarks --estimate               # how long it would take, from earlier runs
    python -m benchmarks --merge a.json b.json    # one results.json from runs made in parts

The engine is DOCKER_HOST's (``eval "$(scripts/engine.sh)"``). Builds run one at a time.
Outputs go to ``benchmarks/`` unless ``--output-dir``; the README's Benchmark section is updated
only with ``--update-readme``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _names(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark squasher against the original, docker-squash and the expert "
        "reference on every sample, in one run on one engine.",
    )
    p.add_argument("--samples", help="comma-separated sample names (default: all)")
    p.add_argument("--skip-slow", action="store_true", help="leave out the heavy samples")
    p.add_argument(
        "--variants",
        help="comma-separated: original, squashed, squashed_classic, squashed_mount, "
        "squashed_stages, squashed_stages_classic, docker_squash_base, docker_squash, "
        "reference (default: all)",
    )
    p.add_argument(
        "--no-deploy",
        action="store_true",
        help="skip the deploy deltas (pushes to a loopback docker-registry)",
    )
    p.add_argument("--no-warm", action="store_true", help="skip the warm rebuilds")
    p.add_argument(
        "--warm-variants",
        help="comma-separated variants to rebuild warm (default: all that were built)",
    )
    p.add_argument(
        "--max-warm-seconds",
        type=float,
        default=None,
        help="do not rebuild warm a squashed variant whose cold build took longer (its script "
        "reruns whole)",
    )
    p.add_argument("--no-analyze", action="store_true", help="skip efficiency/reclaimable")
    p.add_argument("--skip-micro", action="store_true", help="skip the micro-benchmarks")
    p.add_argument(
        "--micro-only",
        action="store_true",
        help="measure no sample, only the micro-benchmarks (a part of a run made in parts)",
    )
    p.add_argument(
        "--analyze-sizes",
        default="20,90,1500",
        help="MB, comma-separated: busybox images of these sizes made for the analyze timings, "
        "beside the run's smallest, median and largest image ('' for none)",
    )
    p.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="start no build after this many minutes, and no sample whose estimate (from "
        "--history) would run past them: those are reported as skipped",
    )
    p.add_argument(
        "--estimate",
        action="store_true",
        help="build nothing: print how long the run would take, from the --history runs",
    )
    p.add_argument(
        "--history",
        type=Path,
        action="append",
        help="an earlier results.json the estimate reads (repeatable, later ones win; default: "
        "OUTPUT_DIR/results.json and benchmarks/results.json)",
    )
    p.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        metavar="RESULTS_JSON",
        help="build nothing: merge the results.json of runs made in parts (one machine, one "
        "engine, one commit, each sample in one part) into OUTPUT_DIR/results.json",
    )
    p.add_argument(
        "--across-machines",
        action="store_true",
        help="with --merge: the parts may come from machines with different processors (same "
        "cores, memory and kernel); each sample's table is still of one machine",
    )
    p.add_argument("--repeat", type=int, default=5, help="runs per micro-benchmark timing")
    p.add_argument(
        "--analyze-repeat", type=int, default=2, help="alternated runs of analyze and dive"
    )
    p.add_argument("--output-dir", type=Path, default=HERE, help="where results go")
    p.add_argument(
        "--update-readme", action="store_true", help="rewrite the README's Benchmark section"
    )
    p.add_argument(
        "--render-only",
        action="store_true",
        help="build nothing: render RESULTS.md and chart.svg from OUTPUT_DIR/results.json",
    )
    return p


def render(results: dict[str, Any], output_dir: Path, *, update_readme: bool) -> None:
    from benchmarks.chart import render_svg
    from benchmarks.report import readme_section, results_md
    from benchmarks.report import update_readme as patch_readme

    notes_path = HERE / "NOTES.md"
    notes = notes_path.read_text(encoding="utf-8") if notes_path.is_file() else ""
    (output_dir / "RESULTS.md").write_text(results_md(results, notes), encoding="utf-8")
    (output_dir / "chart.svg").write_text(render_svg(results), encoding="utf-8")
    if update_readme:
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        readme.write_text(patch_readme(text, readme_section(results)), encoding="utf-8")


def _utc() -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime())


def run(args: argparse.Namespace, save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    from benchmarks import machine, variants
    from benchmarks.engine_run import leftover_bench_images, remove_images
    from benchmarks.micro import run_micro
    from benchmarks.runner import Options, run_all, stderr_log
    from squasher.engine import connect

    chosen, wanted = _selection(args)
    estimated = _estimate(args, chosen, wanted)
    for line in estimated.lines():
        stderr_log(line)
    client = connect()
    stale = leftover_bench_images(client)
    if stale:
        stderr_log(f"removing {len(stale)} images left by an interrupted run")
        remove_images(client, stale)
    started = _utc()
    machine_at_start = machine.machine()
    defaults = variants.default_strategies()
    warm_keys = _names(args.warm_variants)
    options = Options(
        warm=not args.no_warm,
        warm_variants=frozenset(warm_keys) if warm_keys else None,
        analyze=not args.no_analyze,
        deploy=not args.no_deploy,
        keep_for_micro=not args.skip_micro,
        max_warm_seconds=args.max_warm_seconds,
        default_key=variants.default_key(defaults),
    )
    max_seconds = args.max_minutes * 60 if args.max_minutes is not None else None

    def results_so_far(results: list[Any], incomplete: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "command": "python -m benchmarks " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            "started": started,
            "finished": _utc(),
            "machine": {**machine_at_start, "load_at_end": machine.load_average()},
            "engine": machine.engine(client),
            "tools": machine.tools(),
            "variants": [v.key for v in wanted],
            "default_strategy": defaults,
            "estimated_minutes": round(estimated.seconds / 60, 1),
            "samples": [r.to_json() for r in results],
            "micro": None,
        }
        if incomplete:
            # the samples measured so far, each whole; the others and the micro-benchmarks not
            data["incomplete"] = [s.name for s in chosen[len(results) :]]
        return data

    results, keeper = run_all(
        client,
        chosen,
        wanted,
        options,
        max_seconds=max_seconds,
        estimates={s.name: s for s in estimated.samples},
        finished=lambda done: save(results_so_far(done, True)),
    )
    data = results_so_far(results, False)
    # the builds are the expensive part: keep them even if the micro runs fail or are stopped
    save({**data, "incomplete": ["micro-benchmarks"]} if not args.skip_micro else data)
    try:
        if not args.skip_micro:
            images = [(which, i.ref, i.sample, i.variant, i.size) for which, i in keeper.three()]
            data["micro"] = run_micro(
                images,
                repeat=args.repeat,
                analyze_repeat=args.analyze_repeat,
                analyze_sizes=_sizes(args.analyze_sizes),
                client=client,
                log=stderr_log,
            )
            data["finished"] = _utc()
    finally:
        remove_images(client, keeper.refs())
    return data


def _history(args: argparse.Namespace) -> list[Path]:
    if args.history:
        return list(args.history)
    paths = [HERE / "results.json", args.output_dir / "results.json"]
    return list(dict.fromkeys(p.resolve() for p in paths))


def _estimate(args: argparse.Namespace, chosen: list[Any], wanted: list[Any]) -> Any:
    from benchmarks.estimate import estimate

    return estimate(
        _history(args),
        chosen,
        wanted,
        warm=not args.no_warm,
        deploy=not args.no_deploy,
        micro=not args.skip_micro,
    )


def _sizes(text: str) -> list[int]:
    try:
        return [int(n) for n in _names(text) or []]
    except ValueError:
        raise SystemExit(f"python -m benchmarks: --analyze-sizes: not MB: {text!r}") from None


def _selection(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    from benchmarks import samples, variants

    if args.micro_only:
        if args.samples or args.skip_micro:
            raise SystemExit("python -m benchmarks: --micro-only measures no sample")
        return [], variants.select_variants(None)[0]

    chosen, unknown = samples.select(
        samples.discover(), _names(args.samples), skip_slow=args.skip_slow
    )
    if unknown:
        raise SystemExit(f"python -m benchmarks: no such sample: {', '.join(unknown)}")
    wanted, bad = variants.select_variants(_names(args.variants))
    if bad:
        raise SystemExit(f"python -m benchmarks: no such variant: {', '.join(bad)}")
    return chosen, wanted


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so that a killed run still removes its images


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    _sizes(args.analyze_sizes)  # refused before anything is built
    signal.signal(signal.SIGTERM, _interrupt)
    out_dir: Path = args.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.json"
    if args.estimate:
        chosen, wanted = _selection(args)
        print("estimated run time:")
        print("\n".join(_estimate(args, chosen, wanted).lines()))
        return
    if args.across_machines and not args.merge:
        raise SystemExit("python -m benchmarks: --across-machines is an option of --merge")
    if args.merge:
        from benchmarks.merge import MergeError, merge_files

        try:
            results = merge_files(args.merge, across_machines=args.across_machines)
        except MergeError as err:
            raise SystemExit(f"python -m benchmarks: --merge: {err}") from None
        results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    elif args.render_only:
        try:
            results = json.loads(results_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise SystemExit(f"python -m benchmarks: cannot read {results_path}: {err}") from None
    else:
        from squasher.errors import SquasherError

        def save(data: dict[str, Any]) -> None:
            results_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

        try:
            results = run(args, save)
        except SquasherError as err:
            raise SystemExit(f"python -m benchmarks: {err}") from None
        save(results)
    render(results, out_dir, update_readme=args.update_readme)
    print(f"wrote {results_path}, {out_dir / 'RESULTS.md'}, {out_dir / 'chart.svg'}")
