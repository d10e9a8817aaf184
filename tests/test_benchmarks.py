"""The benchmark harness's logic (no engine, nothing timed): samples, variants, probes judged,
ratios and targets, the Markdown, the README section, the SVG chart, the generated Dockerfiles."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

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
    write(tmp_path / "half" / "Dockerfile", "FROM busybox:latest\n")
    write(tmp_path / "whole" / "Dockerfile", "FROM busybox:latest\n")
    write(tmp_path / "whole" / "probe", "echo ok\n")
    write(tmp_path / "whole" / "README.md", "A sample.\n")
    write(tmp_path / "whole" / "reference" / "Dockerfile", "FROM busybox:latest\n")
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


def test_variants_in_canonical_order_and_docker_squash_brings_the_original() -> None:
    chosen, unknown = variants.select_variants(["reference", "docker_squash", "bogus"])
    assert [v.key for v in chosen] == ["original", "docker_squash", "reference"]
    assert unknown == ["bogus"]
    every, _ = variants.select_variants(None)
    assert sorted(v.key for v in every) == sorted(report.VARIANT_KEYS)
    assert [v.key for v in every][:4] == ["original", "squashed", "docker_squash", "reference"]
    mount = variants.BY_KEY["squashed_mount"]
    assert (mount.builder, mount.strategy) == ("buildkit", "mount")


def test_tags_are_valid_docker_tags() -> None:
    tag = tag_for("Python_Psycopg2", "squashed_mount", "cold")
    assert tag == f"{TAG_REPO}:python_psycopg2-squashed_mount-cold"


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


def test_targets_met_and_missed_say_by_how_much() -> None:
    good = sample_json(
        "c-make", original=400 * MB, squashed=100 * MB, reference=99 * MB, docker_squash=300 * MB
    )
    bad = sample_json(
        "go", original=600 * MB, squashed=250 * MB, reference=100 * MB, docker_squash=240 * MB
    )
    bad["squashed"]["broken"] = True
    micro_data = {
        "analyze_vs_dive": {
            "speedup": 1.5,
            "squasher_analyze": {"median_seconds": 4.0},
            "dive_ci": {"median_seconds": 6.0},
        },
        "rewrite": [
            {"instructions": 100, "in_process": {"median_seconds": 0.015}},
            {"instructions": 1000, "in_process": {"median_seconds": 0.25}},
        ],
        "startup": {
            "squasher_help": {"median_seconds": 0.45},
            "python_import_click": {"median_seconds": 0.40},
        },
    }
    found = report.targets(results(good, bad, micro_data=micro_data))
    ref = _by_name(found, "squashed ≤")
    assert ref.met is False and "go 2.50x (+150 MB)" in ref.detail and "c-make" not in ref.detail
    ds = _by_name(found, "squashed smaller than docker-squash")
    assert ds.met is False and "go 1.04x (+10.0 MB)" in ds.detail
    saved = _by_name(found, "≥ 70% saved")
    assert saved.met is False and "go 58%" in saved.detail
    assert _by_name(found, "every squashed image").met is False
    assert _by_name(found, "analyze").met is False
    assert _by_name(found, "rewrite of a 100-").met is True
    assert _by_name(found, "rewrite of a 1,000-").met is False
    assert _by_name(found, "`squasher --help`").met is False


def test_a_broken_docker_squash_image_is_no_win() -> None:
    onelove = sample_json(
        "onelove", original=1400 * MB, squashed=222 * MB, reference=220 * MB, docker_squash=198 * MB
    )
    onelove["docker_squash"]["broken"] = True
    ds = _by_name(report.targets(results(onelove)), "squashed smaller than docker-squash")
    assert ds.met is True, ds.detail
    assert "smaller but broken on onelove" in ds.detail
    onelove["docker_squash"]["broken"] = False
    ds = _by_name(report.targets(results(onelove)), "squashed smaller than docker-squash")
    assert ds.met is False and "onelove 1.12x" in ds.detail


def test_targets_not_measured_without_figures() -> None:
    found = report.targets(results(sample_json("seed", original=75 * MB)))
    assert all(t.met is None for t in found)


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
    assert "| onelove | 1.02x | 0.17x | 84% | works | BROKEN (expected) |" in text
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
    from squasher.rewrite import rewrite

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
