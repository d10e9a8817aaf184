"""``squasher analyze`` without an engine: hand-made ``docker save`` archives."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_inspect_helpers import d, f, hard, opq, save_archive, sym, wh

import squasher
from squasher.cli import cli
from squasher.inspect.analysis import (
    Analysis,
    ThresholdError,
    analyze_image,
    evaluate_ci,
    human_bytes,
    layer_reports,
    parse_bytes,
    render_text,
)
from squasher.inspect.saved import read_image_archive

LAYERS = [
    [d("app"), f("app/a", b"a" * 1000), f("app/b", b"b" * 500), d("cfg"), f("cfg/x", "x"),
     d("opt"), f("opt/1", "1"), f("opt/2", "2")],
    [f("app/a", b"A" * 1200), wh("app/b"), f("cfg/x", "x"), f("new", b"n" * 10), opq("opt"),
     f("opt/3", "3"), sym("link", "new"), hard("new2", "new")],
    [wh("cfg"), f("tmp/leftover", b"t" * 40)],
]  # fmt: skip


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "image.tar"
    path.write_bytes(
        save_archive(LAYERS, created_by=["ADD rootfs.tar /", "update app", "RUN rm -rf /cfg"])
    )
    return path


def analysis_of(path: Path) -> Analysis:
    result = squasher.analyze(str(path))
    assert isinstance(result, Analysis)
    return result


def test_layer_reports_count_added_changed_removed(archive: Path) -> None:
    img = read_image_archive(io.BytesIO(archive.read_bytes()))
    reports = layer_reports(img)
    assert [(r.added, r.changed, r.removed) for r in reports] == [
        (8, 0, 0),
        # new, opt/3, link, new2 added; app/a changed (cfg/x identical, not counted);
        # app/b whited out, opt/1 and opt/2 hidden by the opaque directory
        (4, 1, 3),
        # tmp/leftover added (the tar has no entry for /tmp itself); cfg and cfg/x removed
        (1, 0, 2),
    ]
    assert [r.instruction for r in reports] == ["ADD rootfs.tar /", "update app", "RUN rm -rf /cfg"]
    assert [r.size for r in reports] == [1503, 1212, 40]


def test_library_analysis_figures(archive: Path) -> None:
    a = analysis_of(archive)
    assert a.size == 1503 + 1212 + 40
    assert a.user_size == 1212 + 40
    # /app/a 1000+1200, /app/b 500+0, /cfg/x 1+1 are the paths seen twice
    assert a.wasted_bytes == 2200 + 500 + 2
    assert [w.path for w in a.wasted] == ["/app/a", "/app/b", "/cfg/x"]
    assert a.user_wasted_ratio == pytest.approx(2702 / 1252)
    assert a.final_size == 1200 + 10 + 1 + 40  # new2 is a hard link of new: counted once
    assert a.reclaimable.bytes_of("tmp") == 40


def test_parse_bytes_as_dive() -> None:
    assert parse_bytes("1000") == 1000
    assert parse_bytes("20MB") == 20_000_000
    assert parse_bytes("20 mib") == 20 * 1024**2
    assert parse_bytes("1.5GB") == 1_500_000_000
    assert parse_bytes("2k") == 2000
    assert parse_bytes("1,000 B") == 1000
    with pytest.raises(ThresholdError):
        parse_bytes("lots")
    with pytest.raises(ThresholdError):
        parse_bytes("10 XB")


def test_human_bytes_as_dive() -> None:
    assert human_bytes(0) == "0 B"
    assert human_bytes(9) == "9 B"
    assert human_bytes(1150000) == "1.2 MB"
    assert human_bytes(50000) == "50 kB"
    assert human_bytes(76386974) == "76 MB"


def test_ci_rules_names_defaults_and_comparisons(archive: Path) -> None:
    a = analysis_of(archive)
    results = evaluate_ci(a)
    assert [(r.name, r.status) for r in results] == [
        ("lowestEfficiency", "FAIL"),
        ("highestWastedBytes", "SKIP"),
        ("highestUserWastedPercent", "FAIL"),
    ]
    assert not a.ci_passed
    results = evaluate_ci(a, lowest_efficiency="0", highest_wasted_bytes="2702",
                          highest_user_wasted_percent="disabled")  # fmt: skip
    assert [r.status for r in results] == ["PASS", "PASS", "SKIP"]
    assert a.ci_passed
    results = evaluate_ci(a, lowest_efficiency="disabled", highest_wasted_bytes="2701B")
    assert results[1].status == "FAIL"
    assert "wasted-bytes=2702 > threshold=2701" in results[1].message
    with pytest.raises(ThresholdError, match="outside allowed range"):
        evaluate_ci(a, lowest_efficiency="1.5")


def test_ci_single_layer_image_passes_user_rule() -> None:
    img = read_image_archive(io.BytesIO(save_archive([[f("only", b"x" * 10)]])))
    a = analyze_image(img)
    assert a.user_wasted_ratio == 0.0
    assert all(r.status != "FAIL" for r in evaluate_ci(a))


def test_cli_text_output(archive: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", str(archive), "--top", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "wastedBytes: 2702 bytes (2.7 kB)" in out
    assert "Top wasted files (2 of 3):" in out
    assert "/app/a" in out and "/cfg/x" not in out
    assert "update app" in out
    assert "tmp" in out


def test_cli_json_keys(archive: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", str(archive), "--json", "--top", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("efficiency", "wasted_bytes", "user_wasted_ratio", "size", "layers"):
        assert key in data
    assert data["wasted_bytes"] == 2702
    assert len(data["layers"]) == 3
    assert data["layers"][1]["changed"] == 1
    assert [w["path"] for w in data["top_wasted"]] == ["/app/a"]
    assert data["reclaimable"]["categories"][0]["name"] == "tmp"
    assert "ci" not in data


def test_cli_ci_exit_codes(archive: Path) -> None:
    runner = CliRunner()
    failing = runner.invoke(cli, ["analyze", str(archive), "--ci"])
    assert failing.exit_code == 1
    assert "FAIL: lowestEfficiency" in failing.output
    assert "Result: FAIL" in failing.output
    passing = runner.invoke(
        cli,
        ["analyze", str(archive), "--ci", "--lowest-efficiency", "0.1",
         "--highest-user-wasted-percent", "disabled", "--json"],
    )  # fmt: skip
    assert passing.exit_code == 0, passing.output
    assert json.loads(passing.output)["ci"]["passed"] is True
    bad = runner.invoke(cli, ["analyze", str(archive), "--ci", "--highest-wasted-bytes", "huge"])
    assert bad.exit_code == 2
    assert "invalid size" in bad.output


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["analyze", "--help"])
    assert result.exit_code == 0
    assert "squasher analyze myapp:latest" in result.output


def test_render_is_deterministic(archive: Path) -> None:
    from hashseed import outputs_across_hash_seeds

    code = (
        "import json\nfrom pathlib import Path\n"
        "from test_analyze import analysis_of, render_text\n"
        f"a = analysis_of(Path({str(archive)!r}))\n"
        "print(render_text(a)); print(json.dumps(a.to_json()))\n"
    )
    first, *others = outputs_across_hash_seeds(code)
    assert all(out == first for out in others)


def test_inf_ratio_is_null_in_json() -> None:
    img = read_image_archive(io.BytesIO(save_archive([[f("a", b"x" * 10)], [wh("a")]])))
    a = analyze_image(img)
    assert math.isinf(a.user_wasted_ratio)
    assert a.to_json()["user_wasted_ratio"] is None
    assert "userWastedPercent: inf" in render_text(a)


GOLDEN = Path(__file__).parent / "golden" / "analyze"


def test_text_and_json_match_golden_files(
    archive: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.chdir(archive.parent)
    runner = CliRunner()
    text = runner.invoke(cli, ["analyze", "image.tar", "--ci"])
    data = runner.invoke(cli, ["analyze", "image.tar", "--json"])
    assert text.exit_code == 1 and data.exit_code == 0
    for name, output in (("image.txt", text.output), ("image.json", data.output)):
        golden = GOLDEN / name
        if os.environ.get("SQUASHER_UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(output)
        assert output == golden.read_text(), f"{golden} differs (SQUASHER_UPDATE_GOLDEN=1 rewrites)"


def test_progress_meter_draws_and_clears(capsys: pytest.CaptureFixture[str]) -> None:
    from squasher.cli.analyze_cmd import _Progress

    meter = _Progress()
    meter(1_500_000, 76_000_000)
    meter(2_000_000, 76_000_000)  # within 0.1 s of the first: not drawn
    meter.finish()
    err = capsys.readouterr().err
    assert "reading image: 1.5 MB of ~76 MB" in err
    assert "2.0 MB" not in err
    assert err.endswith("\r")
