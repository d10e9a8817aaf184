"""diff-size's renderings: humanised sizes, the table, Markdown and the HTML page."""

from __future__ import annotations

import json

import pytest

from squasher.measure.diff_size import DiffSizeResult, ImageMeasure, LayerSize
from squasher.report import humanize, size_report
from squasher.util.units import human_bytes


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (1_540_000_000, "1.5 GB"), (246_000_000, "246 MB"),
     (-5_000_000, "-5.0 MB"), (12_345, "12 kB")],
)  # fmt: skip
def test_size(n: int, text: str) -> None:
    """One formatter for every byte size squasher prints (dive's SI format)."""
    assert human_bytes(n) == text


def test_colour_follows_tty_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert humanize.use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not humanize.use_colour(Tty())  # type: ignore[arg-type]


def _result() -> DiffSizeResult:
    original = ImageMeasure(
        image=None,
        built_id="sha256:def",
        size=463_000_000,
        layers=4,
        build_seconds=61.2,
        layer_sizes=[
            LayerSize(75_000_000, "FROM debian"),
            LayerSize(388_000_000, "RUN apt-get <x>"),
        ],
        builder="classic",
        efficiency=0.91,
    )
    squashed = ImageMeasure(
        image="sha256:abc",
        built_id="sha256:abc",
        size=76_000_000,
        layers=2,
        build_seconds=70.0,
        layer_sizes=[LayerSize(75_000_000, "FROM debian"), LayerSize(1_000_000, "RUN build.sh")],
        builder="classic",
    )
    return DiffSizeResult(
        context="samples/c-make",
        dockerfile="samples/c-make/Dockerfile",
        strategy="script",
        builder="classic",
        original=original,
        squashed=squashed,
        saved_bytes=387_000_000,
        saved_ratio=0.8359,
    )


def test_table_has_both_columns_and_saved_line() -> None:
    text = size_report.render_table(_result())
    assert "original" in text and "squashed" in text
    assert "saved 387 MB (83.6%): 463 MB -> 76 MB" in text
    assert "\x1b[" not in text
    assert "\x1b[" in size_report.render_table(_result(), colour=True)
    assert "kept squashed image sha256:abc" in text


def test_stages_report_lists_the_delta_layer_by_layer() -> None:
    """The stages form's table says what each final-stage layer holds and what it removes; a
    layer of a large COPY names its line."""
    result = _result()
    result.strategy = "stages"
    result.report = {
        "delta": {
            "layers": [
                {"layer": "packages", "files": 120, "bytes": 77_100},
                {"layer": "libraries", "files": 0, "bytes": 0},
                {"layer": "copy-6", "files": 20, "bytes": 28_000_000},
                {"layer": "application", "files": 3, "bytes": 41_500},
            ],
            "removed": ["/etc/motd"],
        }
    }
    lines = size_report.render_table(result).splitlines()
    at = lines.index("delta (the final stage's layers, oldest first):")
    assert lines[at + 1 : at + 6] == [
        "  packages                                          77 kB  120 files",
        "  libraries                                           0 B  0 files",
        "  copy-6 (what samples/c-make/Dockerfile:6 copied)  28 MB  20 files",
        "  application                                       42 kB  3 files",
        "removed from the base: /etc/motd",
    ]
    cached = {"layers": [{"layer": "application", "files": None, "bytes": 10}], "removed": None}
    result.report = {"delta": cached}
    assert "  application  10 B" in size_report.render_table(result).splitlines()


def test_json_has_the_documented_fields() -> None:
    data = json.loads(json.dumps(_result().to_json()))
    for key in (
        "original",
        "squashed",
        "saved_bytes",
        "saved_ratio",
        "strategy",
        "builder",
        "report",
    ):
        assert key in data
    for key in ("image", "size", "layers", "build_seconds", "layer_sizes"):
        assert key in data["original"]


def test_html_is_self_contained_and_escaped() -> None:
    page = size_report.render_html([_result()])
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    assert "RUN apt-get &lt;x&gt;" in page
    assert page.count('class="seg"') == 4


def test_markdown_table() -> None:
    md = size_report.render_markdown(_result())
    assert "| size | 463 MB | 76 MB |" in md


def test_the_verdict_of_verify_is_shown_when_it_ran() -> None:
    result = _result()
    assert "verify:" not in size_report.render_table(result)
    result.verify = {
        "equivalent": True,
        "verdict": "summary: expected 3 (1.2 kB), protected 0 (0 B), unexpected 0 (0 B): equivalent",
    }
    table = size_report.render_table(result)
    line = "verify: expected 3 (1.2 kB), protected 0 (0 B), unexpected 0 (0 B): equivalent"
    assert line in table.splitlines()
    assert table.index(line) < table.index("saved 387 MB")
    assert line in size_report.render_markdown(result).splitlines()
