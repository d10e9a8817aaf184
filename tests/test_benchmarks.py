"""The benchmark harness's logic (no engine, nothing timed): samples, variants, probes judged,
ratios and targets, the Markdown, the README section, the SVG chart, the generated Dockerfiles."""

from __future__ import annotations

import copy
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from benchmarks import chart, cli, micro, report, samples, variants
from benchmarks.engine_run import TAG_REPO, VariantResult, tag_for
from benchmarks.runner import SampleResult, judge_probes
from squasher.parse import parse_text

MB = 1_000_000


def variant(size: int | None, **extra: Any) -> dict[str, Any]:
    return {"size": size, **extra}


def sample_json(name: str, **sizes: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "skipped": None, "missing": []}
    for key, size in sizes.items():
        data[key] = variant(size, broken=False)
    data["ratios"] = report.ratios(data)
    return data


def results(*items: dict[str, Any], micro_data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "samples": list(items),
        "micro": micro_data,
        "machine": {"cores": 2},
        "engine": {"version": "20.10"},
    }


# ---------------------------------------------------------------- samples


def write(path: Path, text: str = "x\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_touch_file_prefers_source_files_then_shallow_then_name(tmp_path: Path) -> None:
    for rel in ("Dockerfile", "README.md", "probe", "zz.txt", "lib/a.c", "main.go", "b.c"):
        write(tmp_path / rel)
    write(tmp_path / "reference" / "a.c")
    assert samples.choose_touch_file(tmp_path) == "b.c"
    (tmp_path / "b.c").unlink()
    assert samples.choose_touch_file(tmp_path) == "lib/a.c"
    (tmp_path / "lib" / "a.c").unlink()
    assert samples.choose_touch_file(tmp_path) == "main.go"
    (tmp_path / "main.go").unlink()
    assert samples.choose_touch_file(tmp_path) == "zz.txt"
    (tmp_path / "zz.txt").unlink()
    assert samples.choose_touch_file(tmp_path) is None  # only meta files and reference/


def test_incomplete_sample_reports_what_is_missing(tmp_path: Path) -> None:
    write(tmp_path / "half" / "Dockerfile", f"FROM {BUSYBOX}\n")
    write(tmp_path / "whole" / "Dockerfile", f"FROM {BUSYBOX}\n")
    write(tmp_path / "whole" / "probe", "echo ok\n")
    write(tmp_path / "whole" / "README.md", "A sample.\n")
    write(tmp_path / "whole" / "reference" / "Dockerfile", f"FROM {BUSYBOX}\n")
    (tmp_path / "not-a-sample").mkdir()
    found = samples.discover(tmp_path)
    assert [s.name for s in found] == ["half", "whole"]
    half, whole = found
    assert half.missing() == ["probe", "reference/Dockerfile", "README.md"]
    assert half.probe is None and half.reference is None
    assert whole.missing() == [] and whole.probe == "echo ok"


def test_discover_runs_cheap_samples_first_and_unknown_last(tmp_path: Path) -> None:
    for name in ("zeta", "onelove", "seed", "c-make"):
        write(tmp_path / name / "Dockerfile")
    assert [s.name for s in samples.discover(tmp_path)] == ["seed", "c-make", "onelove", "zeta"]


def test_select_by_name_and_skip_slow(tmp_path: Path) -> None:
    for name in ("seed", "onelove", "go"):
        write(tmp_path / name / "Dockerfile")
    found = samples.discover(tmp_path)
    chosen, unknown = samples.select(found, ["go", "seed", "nope"], skip_slow=False)
    assert [s.name for s in chosen] == ["go", "seed"] and unknown == ["nope"]  # as given
    chosen, _ = samples.select(found, None, skip_slow=True)
    assert [s.name for s in chosen] == ["seed"]


def test_every_real_sample_touches_a_file_its_reference_also_has() -> None:
    """The warm rebuild changes the same file in the original and the reference context."""
    for s in samples.discover():
        rel = s.touch_file()
        if rel is None or s.reference is None:
            continue
        assert (s.path / rel).is_file(), (s.name, rel)
        assert (s.reference / rel).is_file(), (s.name, rel)


# ---------------------------------------------------------------- variants and tags


def test_variants_in_build_order_and_docker_squash_brings_the_original() -> None:
    chosen, unknown = variants.select_variants(["reference", "docker_squash", "bogus"])
    assert [v.key for v in chosen] == ["original", "reference", "docker_squash"]
    assert unknown == ["bogus"]
    chosen, _ = variants.select_variants(["docker_squash_base"])
    assert [v.key for v in chosen] == ["original", "docker_squash_base"]
    every, _ = variants.select_variants(None)
    assert sorted(v.key for v in every) == sorted(report.VARIANT_KEYS)
    assert [v.key for v in every][:4] == ["original", "squashed", "docker_squash_base", "reference"]
    mount = variants.BY_KEY["squashed_mount"]
    assert (mount.builder, mount.strategy) == ("buildkit", "mount")
    stages = variants.BY_KEY["squashed_stages"], variants.BY_KEY["squashed_stages_classic"]
    assert [(v.builder, v.strategy) for v in stages] == [
        ("buildkit", "stages"),
        ("classic", "stages"),
    ]
    base_kept, flatten = variants.BY_KEY["docker_squash_base"], variants.BY_KEY["docker_squash"]
    assert base_kept.keep_base and not flatten.keep_base
    assert base_kept.kind == flatten.kind == "docker_squash"


def test_a_strategy_this_squasher_lacks_is_recorded_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the rewrite knows a strategy, its variants record why and the run goes on."""
    import squasher.rewriting
    from benchmarks.runner import Options, SampleRun

    monkeypatch.setattr(squasher.rewriting, "STRATEGIES", ("script", "mount"))
    seed = next(s for s in samples.discover() if s.name == "seed")
    wanted = [variants.BY_KEY["squashed_stages"], variants.BY_KEY["squashed_stages_classic"]]
    logged: list[str] = []
    options = Options(warm=False, deploy=False)
    run = SampleRun(None, seed, wanted, options, tmp_path, logged.append)
    result = run.run()
    for key in ("squashed_stages", "squashed_stages_classic"):
        error = result.variants[key].error or ""
        assert error.startswith("strategy not available: "), error
        assert "--strategy stages (it has script, mount)" in error
        assert result.variants[key].size is None
    assert run.images == [
        tag_for("seed", k, "cold") for k in ("squashed_stages", "squashed_stages_classic")
    ]
    data = result.to_json()
    assert data["squashed_stages"]["error"].startswith("strategy not available")


def test_tags_are_valid_docker_tags_that_name_their_run() -> None:
    import os

    from benchmarks.engine_run import _run_alive

    tag = tag_for("Python_Psycopg2", "squashed_mount", "cold")
    assert tag == f"{TAG_REPO}:{os.getpid()}-python_psycopg2-squashed_mount-cold"
    assert _run_alive(tag)  # this process: a run still going, whose images stay
    gone = max(int(p) for p in os.listdir("/proc") if p.isdigit()) + 100000
    assert not _run_alive(f"{TAG_REPO}:{gone}-seed-original-cold")
    assert not _run_alive(f"{TAG_REPO}:seed-original-cold")  # an older run's tag


# ---------------------------------------------------------------- probes judged


class _Sample:
    def __init__(self, probe: str | None, fails_with: str | None = None) -> None:
        self.probe = probe
        self.original_fails_with = fails_with


def probed(status: int | None, output: str, size: int | None = 10) -> VariantResult:
    out = VariantResult("k", "k", size=size)
    out.probe_status, out.probe_output = status, output
    return out


def test_judge_probes_against_the_reference() -> None:
    result = SampleResult("s")
    result.variants = {
        "original": probed(0, "ok\n"),
        "squashed": probed(0, "different\n"),
        "squashed_mount": probed(1, "Traceback\nImportError: libpq.so.5\n"),
        "docker_squash": probed(None, "", size=None),  # not built: not judged
        "reference": probed(0, "ok\n"),
    }
    judge_probes(result, _Sample("run it"))  # type: ignore[arg-type]
    v = result.variants
    assert v["original"].broken is False and v["reference"].broken is False
    assert v["squashed"].broken is True and "differs" in (v["squashed"].broken_reason or "")
    assert v["squashed_mount"].broken is True
    assert "ImportError: libpq.so.5" in (v["squashed_mount"].broken_reason or "")
    assert v["docker_squash"].broken is None


def test_documented_broken_original_and_no_reference() -> None:
    result = SampleResult("onelove")
    result.variants = {"original": probed(1, "libpq.so.5: cannot open"), "squashed": probed(0, "a")}
    judge_probes(result, _Sample("p", fails_with="libpq.so.5"))  # type: ignore[arg-type]
    assert result.variants["original"].broken and result.variants["original"].expected_broken
    assert result.variants["squashed"].broken is False  # no working reference: exit status only


def test_no_probe_judges_nothing() -> None:
    result = SampleResult("s")
    result.variants = {"original": probed(None, "")}
    judge_probes(result, _Sample(None))  # type: ignore[arg-type]
    assert result.variants["original"].broken is None


def test_sample_result_json_has_every_variant_with_size_and_ratios() -> None:
    result = SampleResult("s", touched="a.c")
    for key in report.VARIANT_KEYS:
        result.variants[key] = VariantResult(key, key, size=100 if key != "original" else 400)
    result.variants["original"].image = "sha256:abc"
    data = result.to_json()
    assert data["name"] == "s" and data["touched"] == "a.c"
    for key in ("original", "squashed", "squashed_mount", "docker_squash", "reference"):
        assert data[key]["size"] > 0 and "image" not in data[key]
    assert data["ratios"]["saved_ratio"] == 0.75
    json.dumps(data)


# ---------------------------------------------------------------- ratios and targets


def test_ratios() -> None:
    s = sample_json(
        "c", original=400 * MB, squashed=102 * MB, reference=100 * MB, docker_squash=204 * MB
    )
    r = s["ratios"]
    assert r["squashed_vs_reference"] == 1.02
    assert r["squashed_vs_docker_squash"] == 0.5
    assert r["saved_ratio"] == 0.745
    assert r["squashed_mount_vs_reference"] is None  # not built


def test_ratios_when_a_variant_failed() -> None:
    s = sample_json("c", original=400 * MB, squashed=None, reference=100 * MB)
    assert s["ratios"]["squashed_vs_reference"] is None and s["ratios"]["saved_ratio"] is None


def _by_name(found: list[report.Target], start: str) -> report.Target:
    return next(t for t in found if t.name.startswith(start))


def timed(which: str, size: int, ours: float, dive: float, save: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "which": which,
        "image_sample": "s",
        "size": size,
        "squasher_analyze": {"median_seconds": ours},
        "dive_ci": {"median_seconds": dive},
        "error": None,
    }
    if save is not None:
        out["docker_save"] = {"median_seconds": save}
    return out


def test_the_targets_are_exactly_the_issues_list() -> None:
    names = [t.name for t in report.targets(results())]
    assert names == [
        "never larger than the original (every squasher variant but classic script, every sample)",
        "≤ 1.00x the expert reference, default form and stages, every sample but node-gyp "
        "(documented design choice)",
        "at most base-kept docker-squash's size on every sample, smaller wherever there is "
        "anything to purge or clean (and working where its image does not)",
        "stages: warm rebuild ≤ original's + 20 s",
        "stages: deploy delta ≤ the changed files + 1 MB",
        "analyze ≤ 1.1x `docker save`'s own time at every size",
        "analyze faster than dive at every size",
        # and the rewrite's own speed targets
        "rewrite of a 100-instruction Dockerfile under 20 ms",
        "rewrite of a 1,000-instruction Dockerfile under 200 ms",
    ]


def test_size_targets_met_and_missed_say_by_how_much() -> None:
    good = sample_json(
        "c-make",
        original=400 * MB,
        squashed=100 * MB,
        squashed_stages=100 * MB,
        squashed_classic=500 * MB,  # the classic script form is exempt from "never larger"
        reference=100 * MB,
        docker_squash_base=300 * MB,
        docker_squash=90 * MB,  # flatten: for information only
    )
    bad = sample_json(
        "go",
        original=600 * MB,
        squashed=250 * MB,
        squashed_mount=700 * MB,
        reference=100 * MB,
        docker_squash_base=240 * MB,
    )
    gyp = sample_json("node-gyp", original=900 * MB, squashed=213 * MB, reference=175 * MB)
    found = report.targets(results(good, bad, gyp))
    larger = _by_name(found, "never larger")
    assert larger.met is False and larger.detail == "missed on 1 of 5: go/sq. mount +100 MB"
    ref = _by_name(found, "≤ 1.00x")
    assert ref.met is False and ref.detail == "missed on 1 of 3: go/squashed 2.50x (+150 MB)"
    ds = _by_name(found, "at most base-kept")
    assert ds.met is False and "missed on 1 of 3: go/squashed +10.0 MB (1.04x)" in ds.detail
    assert "For information, squashed / full-flatten docker-squash: c-make 1.11x" in ds.detail


def test_at_the_reference_means_at_two_decimals() -> None:
    near = sample_json("seed", original=76 * MB, squashed=100_400_000, reference=100 * MB)
    over = sample_json("c-make", original=400 * MB, squashed=100_600_000, reference=100 * MB)
    assert _by_name(report.targets(results(near)), "≤ 1.00x").met is True
    detail = _by_name(report.targets(results(over)), "≤ 1.00x").detail
    assert detail == "missed on 1 of 1: c-make/squashed 1.01x (+600.0 KB)"


def test_docker_squash_equal_is_a_miss_only_with_something_to_clean() -> None:
    seed = sample_json("seed", original=75 * MB, squashed=75 * MB, docker_squash_base=75 * MB)
    seed["purged"] = []
    seed["original"]["reclaimable_bytes"] = 0
    assert _by_name(report.targets(results(seed)), "at most base-kept").met is True
    seed["purged"] = ["gcc"]
    ds = _by_name(report.targets(results(seed)), "at most base-kept")
    assert ds.met is False and "seed/squashed equal, with something to purge or clean" in ds.detail
    seed["purged"] = None  # older runs: the original's reclaimable bytes decide
    seed["original"]["reclaimable_bytes"] = 5 * MB
    assert _by_name(report.targets(results(seed)), "at most base-kept").met is False


def test_a_broken_docker_squash_image_is_no_win() -> None:
    onelove = sample_json(
        "onelove",
        original=1400 * MB,
        squashed=222 * MB,
        reference=220 * MB,
        docker_squash_base=198 * MB,
    )
    onelove["docker_squash_base"]["broken"] = True
    ds = _by_name(report.targets(results(onelove)), "at most base-kept")
    assert ds.met is True, ds.detail
    assert "works where docker-squash's image is broken: onelove/squashed" in ds.detail
    onelove["docker_squash_base"]["broken"] = False
    ds = _by_name(report.targets(results(onelove)), "at most base-kept")
    assert ds.met is False and "onelove/squashed +24.0 MB (1.12x)" in ds.detail


def test_stages_warm_rebuild_and_deploy_delta() -> None:
    s = sample_json("c-libpq", original=350 * MB, squashed_stages=85 * MB)
    s["touched_bytes"] = 2_000
    s["original"]["warm_seconds"] = 2.0
    s["squashed_stages"].update(warm_seconds=21.5, deploy_delta_bytes=900_000)
    s["squashed_stages_classic"] = variant(
        86 * MB, broken=False, warm_seconds=30.0, deploy_delta_bytes=3_500_000
    )
    found = report.targets(results(s))
    warm = _by_name(found, "stages: warm")
    assert warm.met is False
    assert warm.detail == (
        "missed on 1 of 2: c-libpq/sq. stages classic 30 s vs original 2.0 s (+8 s over)"
    )
    deploy = _by_name(found, "stages: deploy")
    assert deploy.met is False
    assert deploy.detail == (
        "missed on 1 of 2: c-libpq/sq. stages classic 3.50 MB for a 2.0 KB file (+2.50 MB over)"
    )


def test_analyze_targets_at_three_sizes() -> None:
    micro_data = {
        "analyze_at_sizes": [
            timed("smallest", 2 * MB, 0.30, 0.50, 0.20),
            timed("median", 90 * MB, 2.19, 1.42, 1.56),
            timed("largest", 1400 * MB, 24.7, 182.0, 23.0),
        ]
    }
    found = report.targets(results(micro_data=micro_data))
    save = _by_name(found, "analyze ≤ 1.1x")
    assert save.met is False
    assert "smallest (s, 2.00 MB) 0.30 s vs 0.20 s (1.50x)" in save.detail
    assert "median (s, 90.0 MB) 2.19 s vs 1.56 s (1.40x)" in save.detail
    assert "largest" not in save.detail  # 1.07x: within
    dive = _by_name(found, "analyze faster than dive")
    assert (
        dive.met is False
        and dive.detail == "missed on 1 of 3: median (s, 90.0 MB) 2.19 s vs dive 1.42 s"
    )


def test_older_runs_timed_only_the_largest_image() -> None:
    micro_data = {"analyze_vs_dive": timed("largest", 1400 * MB, 24.7, 182.0, None)}
    found = report.targets(results(micro_data=micro_data))
    assert _by_name(found, "analyze ≤ 1.1x").met is None
    dive = _by_name(found, "analyze faster than dive")
    assert dive.met is None and dive.detail.startswith(
        "not measured at every size (only the largest"
    )


def test_targets_not_measured_without_figures() -> None:
    found = report.targets(results(sample_json("seed", original=75 * MB)))
    assert all(t.met is None for t in found)
    assert all(t.detail.startswith("not measured") for t in found)


def test_skipped_samples_stay_out_of_tables_and_targets() -> None:
    skipped = {"name": "go", "skipped": "time cap", "missing": []}
    data = results(sample_json("seed", original=75 * MB, squashed=75 * MB), skipped)
    assert "| go " not in report.sizes_table(data["samples"])
    assert "go: not run — time cap" in report.skipped_lines(data["samples"])


# ---------------------------------------------------------------- formatting and documents


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (1_625_000_000, "1,625"), (75_042_558, "75.0"), (2_047_000, "2.05")],
)
def test_mb(value: int | None, text: str) -> None:
    assert report.mb(value) == text


def test_percent_never_shows_minus_zero() -> None:
    assert report.fmt_pct(-0.0001) == "0%" and report.fmt_pct(0.7) == "70%"


def full_results() -> dict[str, Any]:
    onelove = sample_json(
        "onelove",
        original=1_600 * MB,
        squashed=250 * MB,
        squashed_classic=251 * MB,
        squashed_mount=249 * MB,
        docker_squash=1_500 * MB,
        reference=246 * MB,
    )
    onelove["original"].update(broken=True, expected_broken=True, broken_reason="probe exits 1")
    seed = sample_json("seed", original=75 * MB, squashed=75 * MB, reference=75 * MB)
    return results(seed, onelove)


def test_results_md_puts_ratios_first_and_compares_with_the_seed_claim() -> None:
    text = report.results_md(full_results(), notes="## Notes\n\nhand-written")
    assert text.index("## Ratios first") < text.index("## Sizes")
    assert "| onelove | 1.02x | — | — | 0.17x | 84% | works | BROKEN (expected) |" in text
    assert "Not measured in this run: squashed (stages, BuildKit)" in text
    assert "## Deploy delta" in text and "Not measured in this run." in text
    assert "| seed's claim (One Love API, its README) | 1,000 | 298 | −70% | — |" in text
    assert "measured here: samples/onelove, original → squashed | 1,600 | 250 | −84%" in text
    assert "onelove/original is broken (the sample documents this)" in text
    assert text.rstrip().endswith("hand-written")
    assert "![image sizes per sample and variant](chart.svg)" in text


def test_readme_section_is_appended_once_then_replaced() -> None:
    base = "# squasher\n\n## Development\n\ntext\n"
    first = report.update_readme(base, report.readme_section(full_results()))
    assert first.startswith(base.rstrip("\n"))
    assert first.count("## Benchmark") == 1 and "benchmarks/chart.svg" in first
    # the targets, each met or missed with its figures, and the deploy deltas (none here)
    assert "| target | status | measured |" in first and "Not measured in this run." in first
    again = report.update_readme(first, report.readme_section(full_results()))
    assert again == first
    changed = copy.deepcopy(full_results())
    changed["samples"][1]["squashed"]["size"] = 300 * MB
    changed["samples"][1]["ratios"] = report.ratios(changed["samples"][1])
    third = report.update_readme(first, report.readme_section(changed))
    assert third.count("## Benchmark") == 1 and "| onelove | 1.22x" in third
    assert third.endswith("<!-- benchmark:end -->\n")


# ---------------------------------------------------------------- chart


def test_chart_is_valid_deterministic_svg_with_one_bar_per_built_variant() -> None:
    data = full_results()
    svg = chart.render_svg(data)
    assert svg == chart.render_svg(copy.deepcopy(data))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 6 + 3  # onelove: all six; seed: three built
    widths = {r.find(f"{ns}title").text: float(r.get("width", 0)) for r in bars}  # type: ignore[union-attr]
    assert widths["onelove original: 1,600 MB"] > widths["onelove expert reference: 246 MB"] * 6
    assert "1,600 MB BROKEN" in svg
    assert "not built" in svg  # seed's missing variants


@pytest.mark.parametrize(
    ("maximum", "step"), [(1625, 500.0), (75, 20.0), (12, 2.0), (0.5, 0.1), (0, 1.0)]
)
def test_nice_step(maximum: float, step: float) -> None:
    assert chart.nice_step(maximum) == pytest.approx(step)


# ---------------------------------------------------------------- generated Dockerfiles, CLI


@pytest.mark.parametrize("n", [2, 17, 100, 1000])
def test_generated_dockerfile_has_exactly_n_instructions(n: int) -> None:
    text, files = micro.generated_dockerfile(n)
    assert micro.generated_dockerfile(n) == (text, files)
    df = parse_text(text)
    count = sum(1 + len(stage.instructions) for stage in df.stages)
    assert count == n
    copied = {line.split()[1] for line in text.splitlines() if line.startswith("COPY ")}
    assert copied == set(files)


def test_generated_dockerfile_rewrites(tmp_path: Path) -> None:
    from squasher.rewriting import rewrite

    text, files = micro.generated_dockerfile(100)
    (tmp_path / "Dockerfile").write_text(text)
    for rel, content in files.items():
        write(tmp_path / rel, content)
    result = rewrite(tmp_path / "Dockerfile")
    assert "build.sh" in result.dockerfile


def test_timing_median_and_minimum() -> None:
    timing = micro.Timing([0.3, 0.1, 0.2])
    assert (timing.median, timing.minimum) == (0.2, 0.1)
    assert micro.Timing().to_json()["median_seconds"] is None


def test_cli_options() -> None:
    args = cli.parser().parse_args(
        ["--samples", "seed, c-make", "--skip-slow", "--variants", "squashed", "--no-warm"]
    )
    assert cli._names(args.samples) == ["seed", "c-make"]
    assert args.skip_slow and args.no_warm and not args.update_readme


def test_render_only_writes_results_md_and_chart_not_the_readme(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps(full_results()))
    readme = Path(cli.REPO / "README.md").read_bytes()
    cli.main(["--render-only", "--output-dir", str(tmp_path)])
    assert "## Ratios first" in (tmp_path / "RESULTS.md").read_text()
    ET.fromstring((tmp_path / "chart.svg").read_text())
    assert Path(cli.REPO / "README.md").read_bytes() == readme


def test_render_only_without_results_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"cannot read .*results\.json"):
        cli.main(["--render-only", "--output-dir", str(tmp_path)])


def test_only_engine_network_hiccups_are_retried() -> None:
    from benchmarks.engine_run import transient

    assert transient(
        "failed to create endpoint x on network bridge: adding interface veth1 to bridge "
        "docker0 failed: could not find bridge docker0: route ip+net: no such network interface"
    )
    assert not transient("The command '/bin/sh -c make' returned a non-zero code: 2")


# ---------------------------------------------------------------- kept images, deploy delta


def kept(ref: str, size: int, sample: str = "s") -> Any:
    from benchmarks.keep import KeptImage

    return KeptImage(ref, f"tag-{ref}", sample, f"v-{ref}", size)


def test_keeper_holds_smallest_largest_and_one_median_per_sample() -> None:
    from benchmarks.keep import Keeper

    keeper = Keeper()
    assert keeper.offer([kept("a", 10), kept("b", 50), kept("c", 90)]) == []
    assert keeper.held() == {"a", "tag-a", "b", "tag-b", "c", "tag-c"}
    dropped = keeper.offer([kept("d", 5, "t"), kept("e", 60, "t"), kept("f", 95, "t")])
    assert [i.ref for i in dropped] == ["a", "c"]  # no longer smallest or largest
    # every size: 5 10 50 60 90 95, median 55: the kept medians are 50 and 60, 50 is nearer
    # by 5 as 60 is; the smaller wins the tie
    assert [(w, i.ref) for w, i in keeper.three()] == [
        ("smallest", "d"),
        ("median", "b"),
        ("largest", "f"),
    ]
    assert keeper.refs() == sorted({"b", "tag-b", "d", "tag-d", "e", "tag-e", "f", "tag-f"})


def test_keeper_times_each_image_once() -> None:
    from benchmarks.keep import Keeper

    keeper = Keeper()
    keeper.offer([kept("only", 7)])
    assert [(w, i.ref) for w, i in keeper.three()] == [("smallest", "only")]


def _blob(storage: Path, repo: str, digest: str, size: int, kind: str = "_layers") -> None:
    v2 = storage / "docker" / "registry" / "v2"
    data = v2 / "blobs" / "sha256" / digest[:2] / digest / "data"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_bytes(b"x" * size)
    links = "_layers/sha256" if kind == "_layers" else "_manifests/revisions/sha256"
    link = v2 / "repositories" / repo / links / digest / "link"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.write_text(f"sha256:{digest}")


def test_deploy_delta_counts_the_blobs_the_repository_did_not_have(tmp_path: Path) -> None:
    from benchmarks.deploy import delta_bytes, repository_blobs

    _blob(tmp_path, "bench/a", "aa" * 32, 1000)
    _blob(tmp_path, "bench/a", "bb" * 32, 200)
    _blob(tmp_path, "bench/a", "cc" * 32, 30, kind="manifest")
    _blob(tmp_path, "bench/other", "dd" * 32, 5000)  # another repository's blob
    before = repository_blobs(tmp_path, "bench/a")
    assert before == {
        f"sha256:{'aa' * 32}": 1000,
        f"sha256:{'bb' * 32}": 200,
        f"sha256:{'cc' * 32}": 30,
    }
    _blob(tmp_path, "bench/a", "dd" * 32, 5000)  # now linked here too: a layer pushed again
    _blob(tmp_path, "bench/a", "ee" * 32, 40, kind="manifest")
    after = repository_blobs(tmp_path, "bench/a")
    assert delta_bytes(before, after) == 5040
    assert repository_blobs(tmp_path, "bench/none") == {}


def test_final_base_follows_stage_names(tmp_path: Path) -> None:
    from benchmarks.engine_run import final_base

    write(
        tmp_path / "Dockerfile",
        f"FROM {DEBIAN} AS build\nRUN true\nFROM build AS test\nFROM {BUSYBOX}\n"
        "FROM test\nRUN true\n",
    )
    assert final_base(tmp_path / "Dockerfile") == DEBIAN


def test_webapp_touches_its_views_and_assets_prepares_its_context(tmp_path: Path) -> None:
    from benchmarks.runner import _prepare

    by_name = {s.name: s for s in samples.discover()}
    assert by_name["webapp"].touch_file() == "webapp/views.py"
    assert by_name["assets"].touch_file() == "assetindex.c"
    assert {"assets", "busybox-user", "webapp", "node-build"} <= set(samples.ORDER)
    context = tmp_path / "assets"
    shutil.copytree(by_name["assets"].path, context, ignore=shutil.ignore_patterns("media"))
    _prepare(context)
    media = sorted(p for p in (context / "assets" / "media").rglob("*") if p.is_file())
    assert sum(p.stat().st_size for p in media) >= 20_000_000
    first = {p.name: p.read_bytes() for p in media}
    _prepare(context)
    assert {p.name: p.read_bytes() for p in media} == first  # deterministic


def test_render_only_on_the_committed_results(tmp_path: Path) -> None:
    """The committed results.json (the v2 run, merged from parts) renders every section, names
    each part's processor, and judges every target."""
    shutil.copy(cli.HERE / "results.json", tmp_path / "results.json")
    cli.main(["--render-only", "--output-dir", str(tmp_path)])
    text = (tmp_path / "RESULTS.md").read_text()
    assert "Not measured in this run" not in text
    for heading in ("## Targets", "## Deploy delta", "## Sizes"):
        assert heading in text, heading
    assert "merged with `python -m benchmarks --merge --across-machines`" in text
    found = report.targets(json.loads((tmp_path / "results.json").read_text()))
    assert [t.name for t in found if t.met is None] == []


# ---------------------------------------------------------------- one real run


@pytest.mark.engine
def test_a_real_run_of_one_cheap_sample(tmp_path: Path, docker_client: Any) -> None:
    """``python -m benchmarks`` on the interleaved sample: cold and warm builds, both
    docker-squash runs, pushes to a loopback registry, the analyze timings; nothing left over."""
    import shutil as sh

    from benchmarks.engine_run import own_bench_images
    from benchmarks.runner import available_strategies

    if sh.which("docker-registry") is None:
        pytest.skip("docker-registry is not installed (scripts/setup.sh installs it)")
    keys = "original,squashed,docker_squash_base,docker_squash,squashed_stages"
    argv = ["--samples", "interleaved", "--variants", keys, "--no-analyze", "--repeat", "1"]
    cli.main([*argv, "--analyze-repeat", "1", "--output-dir", str(tmp_path)])
    data = json.loads((tmp_path / "results.json").read_text())
    (s,) = data["samples"]
    original, squashed = s["original"], s["squashed"]
    base_kept, flatten = s["docker_squash_base"], s["docker_squash"]
    for v in (original, squashed, base_kept, flatten):
        assert v["size"] > 0 and v["broken"] is False, v
        assert v["deploy_delta_bytes"] > 0 and v["deploy_note"] is None, v
        assert v["warm_seconds"] > 0
    # the first push carries the base layer, the second only what the change rebuilt
    assert original["push_bytes"] > original["deploy_delta_bytes"]
    assert base_kept["squash_from"] and base_kept["layers"] == 2  # busybox's layer + one
    assert flatten["layers"] == 1
    assert base_kept["size"] <= original["size"]
    assert s["touched"] == "app.conf" and s["touched_bytes"] > 0
    stages = s["squashed_stages"]
    if "stages" in available_strategies():
        assert stages["size"] > 0
    else:
        assert stages["error"].startswith("strategy not available"), stages
    timed = data["micro"]["analyze_at_sizes"]
    assert [t["which"] for t in timed] == ["smallest", "median", "largest"][: len(timed)]
    assert all(t["docker_save"]["median_seconds"] > 0 and not t["error"] for t in timed)
    text = (tmp_path / "RESULTS.md").read_text()
    assert "stages: deploy delta" in text and "| interleaved | " in text
    assert own_bench_images(docker_client) == []
    pushed = [t for i in docker_client.api.images() for t in i.get("RepoTags") or []]
    assert not [t for t in pushed if "/bench/" in t]


def test_a_variant_that_did_not_build_misses_the_size_targets() -> None:
    s = sample_json("busybox-user", original=6 * MB, reference=2 * MB, docker_squash_base=2 * MB)
    s["squashed"] = variant(None, error="squasher: Dockerfile:17: cannot run as USER 2000:2000")
    s["squashed_stages"] = variant(None, error="strategy not available: no --strategy stages")
    found = report.targets(results(s))
    for start in ("never larger", "≤ 1.00x", "at most base-kept"):
        target = _by_name(found, start)
        assert target.met is False, start
        assert target.detail == "missed on 1 of 1: busybox-user/squashed did not build"
    assert "| busybox-user | — | — | — | — | — | did not build | works |" in report.ratios_table(
        [s]
    )


def test_rewrite_speed_targets_are_judged_per_size() -> None:
    from benchmarks.targets import rewrite_speed

    micro = {
        "rewrite": [
            {"instructions": 100, "in_process": {"median_seconds": 0.015}},
            {"instructions": 1000, "in_process": {"median_seconds": 0.25}},
        ]
    }
    found = {t.name.split(" Dockerfile")[0]: t for t in rewrite_speed({"micro": micro})}
    assert found["rewrite of a 100-instruction"].met is True
    assert found["rewrite of a 1,000-instruction"].met is False
    assert all(t.met is None for t in rewrite_speed({}))


# ---------------------------------------------------------------- v2: harness honesty


def test_the_harness_knows_every_strategy_the_rewrite_has() -> None:
    import squasher.rewriting
    from benchmarks.runner import available_strategies

    assert available_strategies() == tuple(squasher.rewriting.STRATEGIES)
    assert "stages" in available_strategies()


def test_the_default_form_is_asked_of_the_rewrite_not_assumed() -> None:
    defaults = variants.default_strategies()
    assert set(defaults) == {"buildkit", "classic"}
    key = variants.default_key(defaults)
    chosen = variants.BY_KEY[key]
    assert (chosen.builder, chosen.strategy) == ("buildkit", defaults["buildkit"])
    assert variants.default_key({"buildkit": "mount"}) == "squashed_mount"
    assert variants.default_key({"buildkit": "stages"}) == "squashed_stages"
    assert variants.default_key(None) == "squashed"  # runs that did not record it


def test_the_default_form_decides_which_column_the_targets_judge() -> None:
    s = sample_json(
        "c-make", original=400 * MB, squashed=150 * MB, squashed_mount=100 * MB, reference=100 * MB
    )
    data = results(s)
    ref = _by_name(report.targets(data), "≤ 1.00x")
    assert ref.met is False and "c-make/squashed 1.50x" in ref.detail
    data["default_strategy"] = {"buildkit": "mount", "classic": "script"}
    ref = _by_name(report.targets(data), "≤ 1.00x")
    assert ref.met is True and ref.detail == "met on 1 images"
    assert "squasher's default on BuildKit is squashed (mount, BuildKit)" in report.results_md(data)


def test_a_broken_squashed_image_misses_every_size_target_once() -> None:
    s = sample_json(
        "c-libpq",
        original=350 * MB,
        squashed=80 * MB,
        reference=85 * MB,
        docker_squash_base=90 * MB,
    )
    s["squashed"].update(broken=True, broken_reason="probe exits 1: libpq.so.5: not found")
    found = report.targets(results(s))
    for start in ("never larger", "≤ 1.00x", "at most base-kept"):
        target = _by_name(found, start)
        assert target.met is False, start
        assert target.detail == (
            "missed on 1 of 1: c-libpq/squashed is broken (probe exits 1: libpq.so.5: not found)"
        ), start


def test_an_analyze_size_that_could_not_be_timed_is_not_met() -> None:
    micro_data = {
        "analyze_at_sizes": [
            timed("smallest", 2 * MB, 0.30, 0.50, 0.29),
            {**timed("largest", 1400 * MB, None, None, None), "error": "docker save exited 1"},
        ]
    }
    found = report.targets(results(micro_data=micro_data))
    for start in ("analyze ≤ 1.1x", "analyze faster than dive"):
        target = _by_name(found, start)
        assert target.met is False, start
        assert "largest (s, 1,400 MB) not timed: docker save exited 1" in target.detail
    # dive missing is no miss of the comparison with docker save, whose timings exist
    only_save = {**timed("smallest", 2 * MB, 0.30, None, 0.29), "error": "dive is not installed"}
    found = report.targets(results(micro_data={"analyze_at_sizes": [only_save]}))
    assert _by_name(found, "analyze ≤ 1.1x").met is True
    assert _by_name(found, "analyze faster than dive").met is False


def test_the_warm_change_is_whitespace_unique_to_variant_and_run() -> None:
    from benchmarks.runner import touch_line

    lines = {touch_line(n) for n in (0, 1, 2, 0xFFFFFF00, 0xFFFFFFFF)}
    assert len(lines) == 5
    for line in lines:
        assert line.startswith(b"\n") and line.endswith(b"\n") and len(line) == 34
        assert set(line) <= set(b" \t\n")
    json.loads(b'{"a": 1}' + touch_line(12345))  # JSON, C, Python ... mean the same


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "old.json"
    interleaved = {
        "name": "interleaved",
        "seconds": 40.0,
        "original": {"build_seconds": 8.0, "warm_seconds": 2.0},
        "squashed": {"build_seconds": 10.0, "warm_seconds": 9.0},
        "docker_squash": {"build_seconds": 17.0, "warm_seconds": 11.0, "squash_seconds": 9.0},
    }  # builds 8+2+10+9, squash 2*9: 47 > 40 s wall: no overhead left
    c_make = {"name": "c-make", "seconds": 200.0, "original": {"build_seconds": 50.0}}
    path.write_text(json.dumps({"started": "then", "samples": [interleaved, c_make]}))
    return path


def test_the_estimate_uses_earlier_figures_and_says_what_it_guessed(tmp_path: Path) -> None:
    from benchmarks.estimate import estimate

    history = _history(tmp_path)
    found = samples.discover()
    chosen = [s for s in found if s.name in ("interleaved", "busybox-user")]
    keys = ["original", "squashed", "squashed_stages", "docker_squash_base"]
    wanted, _ = variants.select_variants(keys)
    got = estimate([history], chosen, wanted, warm=True, deploy=True, micro=False)
    inter, busy = got.samples
    # original 8+2, squashed 10+9, stages guessed 10 cold + (2+20) warm, docker-squash 9+9
    assert inter.seconds == pytest.approx(10 + 19 + 32 + 18)
    # measured: original's and squashed's; guessed: stages, and base-kept docker-squash's
    # squash time borrowed from the flatten run's
    assert (inter.figures, inter.guessed) == (4, 4)
    # c-make: every figure but its original's cold build guessed from it (4 x 100 s), and
    # 150 s of overhead per variant it ran (200 s wall, 50 s built)
    assert busy.unmeasured and busy.seconds == (inter.seconds + 1000) / 2  # cheap ones' median
    assert got.lines()[-1] == f"  total: ~{got.seconds / 60:.0f} min (from old.json (then))"
    # the median comes from every measured sample, chosen or not
    alone = estimate([history], chosen[1:], wanted, warm=True, deploy=True, micro=False)
    assert alone.samples[0].seconds == busy.seconds
    cold_only = estimate([history], chosen[:1], wanted, warm=False, deploy=False, micro=False)
    assert cold_only.samples[0].seconds == pytest.approx(8 + 10 + 10 + 9)


def test_a_sample_that_would_run_past_the_cap_is_not_started() -> None:
    from benchmarks.estimate import SampleEstimate, fits

    assert fits(SampleEstimate("go", 600.0), 100.0, 800.0)
    assert not fits(SampleEstimate("go", 600.0), 300.0, 800.0)
    assert fits(SampleEstimate("go", 600.0), 300.0, None)
    assert fits(SampleEstimate("webapp", 9999.0, unmeasured=True), 300.0, 800.0)


def _part(name: str, sample_names: list[str], **extra: Any) -> dict[str, Any]:
    data = results(*[sample_json(n, original=10 * MB) for n in sample_names])
    data.update(
        command=f"python -m benchmarks --samples {','.join(sample_names)}",
        started=f"2026-12-02 0{len(name)}:00",
        finished=f"2026-12-02 0{len(name)}:30",
        tools={"squasher": "0.1.0", "squasher_commit": "abc", "uncommitted": []},
        variants=["original"],
        default_strategy={"buildkit": "script", "classic": "script"},
        machine={"cpu": "EPYC", "cores": 2, "load_at_start": 1.0, "load_at_end": 2.0},
    )
    data.update(extra)
    return data


def test_merge_of_a_run_made_in_parts(tmp_path: Path) -> None:
    from benchmarks.merge import MergeError, merge

    one = _part("a", ["seed", "onelove"], micro={"rewrite": []})
    two = _part("bb", ["c-make", "go"])
    two["samples"].append({"name": "seed", "skipped": "time cap", "missing": []})
    merged = merge([(Path("one.json"), one), (Path("two.json"), two)])
    assert [s["name"] for s in merged["samples"]] == ["seed", "c-make", "onelove", "go"]
    assert [p["samples"] for p in merged["parts"]] == [["seed", "onelove"], ["c-make", "go"]]
    assert merged["micro"] == {"rewrite": []} and merged["parts"][0]["micro"] is True
    assert (merged["started"], merged["finished"]) == ("2026-12-02 01:00", "2026-12-02 02:30")
    text = report.results_md(merged)
    assert "- Run: in 2 parts on this machine, engine and commit" in text
    assert "  2. 2026-12-02 02:00 → 2026-12-02 02:30 UTC, load 1.0 → 2.0" in text

    def refused(*parts: dict[str, Any]) -> str:
        with pytest.raises(MergeError) as info:
            merge([(Path(f"p{i}.json"), p) for i, p in enumerate(parts)])
        return str(info.value)

    assert "sample seed was measured in p0.json and in p1.json" in refused(
        one, _part("c", ["seed"])
    )
    other = _part("c", ["go"], tools={"squasher_commit": "def", "uncommitted": []})
    assert refused(one, other).startswith("tools.squasher")
    dirty = _part("c", ["go"])
    dirty["tools"] = {**dirty["tools"], "uncommitted": ["squasher/rewriting.py"]}
    assert "uncommitted changes (squasher/rewriting.py)" in refused(one, dirty)
    assert "cores differs" in refused(one, _part("c", ["go"], machine={"cpu": "EPYC", "cores": 4}))
    intel = {"cpu": "Xeon", "cores": 2, "load_at_start": 0.5, "load_at_end": 1.5}
    assert "machine.cpu differs" in refused(one, _part("c", ["go"], machine=intel))
    assert "--across-machines" in refused(one, _part("c", ["go"], machine=intel))
    # asked for by name, a merge accepts another processor, never other cores, and says so
    across = merge(
        [(Path("one.json"), one), (Path("two.json"), _part("c", ["go"], machine=intel))],
        across_machines=True,
    )
    assert [p.get("cpu") for p in across["parts"]] == ["EPYC", "Xeon"]
    assert across["machine"]["cpu"] == "EPYC / Xeon"
    text = report.results_md(across)
    assert "on machines alike but for the processor" in text
    assert "  2. on Xeon, 2026-12-02 01:00 → 2026-12-02 01:30 UTC" in text
    with pytest.raises(MergeError, match="cores differs"):
        merge(
            [(Path("a.json"), one), (Path("b.json"), _part("c", ["go"], machine={"cores": 4}))],
            across_machines=True,
        )
    assert "micro-benchmarks ran in more than one part" in refused(
        one, _part("c", ["go"], micro={"rewrite": []})
    )
    assert "default strategies differ" in refused(
        one, _part("c", ["go"], default_strategy={"buildkit": "mount"})
    )

    # the micro-benchmarks alone may come from a later clean commit, and the report says so
    samples_only = _part("a", ["seed", "onelove"])
    later = _part("c", [], micro={"rewrite": []})
    later["tools"] = {"squasher": "0.1.0", "squasher_commit": "def", "uncommitted": []}
    merged = merge(
        [(Path("one.json"), samples_only), (Path("two.json"), two), (Path("m.json"), later)]
    )
    assert merged["tools"]["squasher_commit"] == "abc"
    assert merged["micro_tools"]["squasher_commit"] == "def" and merged["micro"] == {"rewrite": []}
    text = report.results_md(merged)
    assert "micro-benchmarks (squasher's own speed) ran at commit def" in text
    assert "every sample table is of commit abc" in text
    later["tools"] = {**later["tools"], "uncommitted": ["squasher/cli/analyze_cmd.py"]}
    assert "uncommitted changes" in refused(samples_only, later)
    later["tools"] = {**later["tools"], "uncommitted": [], "docker_squash": "other"}
    assert "tools.docker_squash differs" in refused(samples_only, later)
    with_sample = _part("c", ["go"], micro={"rewrite": []})
    with_sample["tools"] = {"squasher": "0.1.0", "squasher_commit": "def", "uncommitted": []}
    assert refused(samples_only, with_sample).startswith("tools.squasher")


def test_a_stopped_run_keeps_each_sample_it_measured_and_says_what_it_did_not() -> None:
    """A run saves its results after each sample; one stopped later merges with the samples it
    measured, and the report names what it stopped before."""
    from benchmarks.merge import merge
    from benchmarks.runner import Options, run_all

    saved: list[list[str]] = []
    # no sample builds here: a time cap of 0 s skips both, and each still reports as done
    chosen = [s for s in samples.discover() if s.name in ("seed", "interleaved")]
    run_all(
        None,  # type: ignore[arg-type]
        chosen,
        [],
        Options(),
        max_seconds=-1,
        log=lambda _line: None,
        finished=lambda done: saved.append([r.name for r in done]),
    )
    assert saved == [["seed"], ["seed", "interleaved"]]

    stopped = _part("a", ["seed"], incomplete=["onelove", "micro-benchmarks"])
    merged = merge([(Path("one.json"), stopped), (Path("two.json"), _part("bb", ["go"]))])
    assert merged["parts"][0]["incomplete"] == ["onelove", "micro-benchmarks"]
    assert "(stopped before onelove, micro-benchmarks)." in report.results_md(merged)
    alone = _part("a", ["seed"], incomplete=["micro-benchmarks"])
    assert "(stopped before micro-benchmarks)." in report.results_md(alone)


def test_merge_from_the_command_line(tmp_path: Path) -> None:
    for name, names in (("a", ["seed"]), ("b", ["c-make"])):
        (tmp_path / f"{name}.json").write_text(json.dumps(_part(name, names)))
    out = tmp_path / "out"
    cli.main(
        ["--merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--output-dir", str(out)]
    )
    merged = json.loads((out / "results.json").read_text())
    assert [s["name"] for s in merged["samples"]] == ["seed", "c-make"]
    assert "in 2 parts" in (out / "RESULTS.md").read_text()
    with pytest.raises(SystemExit, match="--merge: sample seed was measured"):
        cli.main(
            [
                "--merge",
                str(tmp_path / "a.json"),
                str(tmp_path / "a.json"),
                "--output-dir",
                str(out),
            ]
        )


@pytest.mark.engine
def test_each_variant_reuses_only_its_own_cache(tmp_path: Path, docker_client: Any) -> None:
    """Two variants with the same steps on each builder (an original and a reference written
    alike): every cold build is cold (no layer of another variant or an earlier build), every
    warm rebuild reuses the steps before the change from its own cold build and rebuilds the
    steps after it, whatever the other variant built."""
    from benchmarks.engine_run import remove_images
    from benchmarks.runner import Options, SampleRun
    from benchmarks.variants import Variant

    dockerfile = (
        f"FROM {BUSYBOX}\n"
        "RUN cat /proc/sys/kernel/random/uuid > /early\n"
        "COPY app.conf /app.conf\n"
        "RUN cat /proc/sys/kernel/random/uuid > /late\n"
    )
    root = tmp_path / "alike"
    for where in (root, root / "reference"):
        write(where / "Dockerfile", dockerfile)
        write(where / "app.conf", "port = 80\n")
    write(root / "README.md", "Two variants, one Dockerfile.\n")
    keys = [
        Variant("original", "original", "classic"),
        Variant("reference", "reference", "classic"),
        Variant("bk_original", "original", "buildkit"),
        Variant("bk_reference", "reference", "buildkit"),
    ]
    options = Options(warm=True, analyze=False, keep_for_micro=False, deploy=False)
    (tmp_path / "run").mkdir()
    run = SampleRun(
        docker_client, samples.Sample("alike", root), keys, options, tmp_path / "run", print
    )

    def stamps(image: str) -> tuple[str, str, bytes]:
        out: bytes = docker_client.containers.run(
            image, ["sh", "-c", "cat /early /late; cat /app.conf"], remove=True
        )
        early, late, conf = out.split(b"\n", 2)
        return early.decode(), late.decode(), conf

    try:
        result = run.run()
        assert all(v.error is None for v in result.variants.values()), result.variants
        cold = {k.key: stamps(run.cold_built[k.key].image) for k in keys}
        warm = {k.key: stamps(run.warm_built[k.key].image) for k in keys}
    finally:
        remove_images(docker_client, run.images)
    # cold: no step came from another variant's build
    assert len({c[0] for c in cold.values()}) == 4 and len({c[1] for c in cold.values()}) == 4
    for key in cold:
        assert warm[key][0] == cold[key][0], f"{key}: the step before the change was not its own"
        assert warm[key][1] != cold[key][1], f"{key}: the step after the change was not rebuilt"
        assert cold[key][2] == b"port = 80\n"
        assert warm[key][2].startswith(b"port = 80\n\n") and warm[key][2].strip() == b"port = 80"
    assert len({w[1] for w in warm.values()}) == 4, "a warm rebuild reused another's step"
    assert len({w[2] for w in warm.values()}) == 4  # each variant changed the file its own way
    # the sample's files are as they were after each warm rebuild
    assert (tmp_path / "run" / "context" / "app.conf").read_text() == "port = 80\n"
    assert (tmp_path / "run" / "reference" / "app.conf").read_text() == "port = 80\n"
    assert result.touched == "app.conf" and result.touched_bytes == len(b"port = 80\n") + 34


def test_the_images_made_for_analyze_count_as_sizes_of_the_target() -> None:
    """A part that ran only the micro-benchmarks has no image of its own: the busybox images
    made for the analyze timings are its sizes, in the targets and in RESULTS.md."""

    def made(megabytes: int, save: float, ours: float, dive: float) -> dict[str, Any]:
        def timing(seconds: float) -> dict[str, Any]:
            return {"median_seconds": seconds, "min_seconds": seconds, "runs": [seconds] * 2}

        return {
            "megabytes": megabytes,
            "image_bytes": megabytes * MB + 2 * MB,
            "docker_save": timing(save),
            "squasher_analyze": timing(ours),
            "squasher_analyze_save": timing(ours * 1.5),
            "dive_ci": timing(dive),
            "analyze_over_save": round(ours / save, 3),
            "target_ratio": 1.1,
            "error": None,
        }

    micro_data = {"analyze_at_sizes": [], "analyze_generated": [made(20, 0.2, 0.3, 0.25)]}
    found = report.targets(results(micro_data=micro_data))
    target = _by_name(found, "analyze ≤ 1.1x")
    assert target.met is False
    assert (
        "made 20 MB (busybox + generated files, 22.0 MB) 0.30 s vs 0.20 s (1.50x)" in target.detail
    )
    micro_data["analyze_generated"] = [made(20, 0.2, 0.1, 0.25), made(1500, 9.0, 6.0, 40.0)]
    found = report.targets(results(micro_data=micro_data))
    assert _by_name(found, "analyze ≤ 1.1x").met is True
    assert _by_name(found, "analyze faster than dive").detail.startswith("met at 2 sizes")
    text = report.results_md(results(micro_data=micro_data))
    assert "| 1,502 MB | 9.00 s | 6.00 s | 9.00 s | 40.00 s | 0.67x |" in text


def test_a_micro_only_run_measures_no_sample_and_checks_its_sizes() -> None:
    with pytest.raises(SystemExit, match="--micro-only measures no sample"):
        cli.main(["--micro-only", "--samples", "seed", "--estimate"])
    with pytest.raises(SystemExit, match="--analyze-sizes: not MB"):
        cli.main(["--analyze-sizes", "20,lots", "--estimate"])
    args = cli.parser().parse_args(["--micro-only"])
    chosen, wanted = cli._selection(args)
    assert chosen == [] and wanted


def test_the_micro_benchmarks_time_squasher_compiled_as_an_installed_wheel() -> None:
    """Under PYTHONDONTWRITEBYTECODE an editable install compiles every module in every run;
    the timings are of squasher as pip installs it, with its bytecode."""
    import importlib.util

    import squasher.inspect.analysis as analysis
    from benchmarks.micro import compile_bytecode

    cached = Path(importlib.util.cache_from_source(analysis.__file__))
    cached.unlink(missing_ok=True)
    assert compile_bytecode() is True
    assert cached.is_file()
    text = report.results_md(results(micro_data={"bytecode_compiled": True}))
    assert "compiled to bytecode before the timings, as pip does" in text
