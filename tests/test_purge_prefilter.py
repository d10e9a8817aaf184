"""The rewrite's shortcut for RUN text that names no package tool (``squasher.plan.purge``):
bashlex is skipped for it, and a text repeated across RUNs is parsed once. Neither may change
what the package layer finds, nor any generated file or report entry; the only difference is
that a RUN naming no package tool (nor an ``rm`` of a cache path) is never listed as unanalysed
(it has nothing to analyse).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squasher.plan import purge
from squasher.plan.purge import detect_step, names_a_package_tool
from squasher.rewriting import rewrite

SAMPLES = Path(__file__).parent.parent / "samples"
GOLDEN = Path(__file__).parent / "golden" / "rewrite"

PIECES = st.sampled_from(
    [
        "apt-get",
        "ap't-get'",
        'ap"t"-get',
        "apt\\\n-get",
        "install",
        "purge",
        "-y",
        "gcc",
        "pip",
        "python3",
        "-m",
        "npm",
        "go",
        "clean",
        "-cache",
        "rm",
        "-rf",
        "/var/lib/apt/lists/*",
        "~/.cache/pip",
        "/root/.npm",
        '"/var/cache"/apk',
        "/tmp/build",
        "format",
        "apk",
        "add",
        "del",
        "dnf",
        "echo",
        "make",
        "env",
        "X=1",
        "sh",
        "-c",
        "xargs",
        "&&",
        "||",
        ";",
        "|",
        "\n",
        "(",
        ")",
        "$(",
        "`",
        "'",
        '"',
        "\\",
        "case",
        "esac",
        "in",
        "for",
        "do",
        "done",
        "if",
        "then",
        "fi",
        "[[",
        "$X",
    ]
)
TEXTS = st.lists(PIECES, max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_prefilter_finds_the_same_operations(text: str) -> None:
    fast = detect_step(text, "Dockerfile:2")
    full = detect_step(text, "Dockerfile:2", prefilter=False)
    assert fast.ops == full.ops
    if names_a_package_tool(text):
        assert fast.error == full.error


def test_text_naming_no_tool_skips_bashlex_and_repeats_parse_once() -> None:
    assert not names_a_package_tool("make && make install && echo done")
    assert names_a_package_tool("ap't-get' install gcc")
    assert not names_a_package_tool("make && rm -rf /tmp/build")
    assert names_a_package_tool("rm -rf '/var/lib/apt'/lists/*")
    assert names_a_package_tool("rm -rf ~/.cache/pip")
    purge._ops_of_text.cache_clear()
    for line in range(2, 6):
        found = detect_step("apt-get install -y gcc", f"Dockerfile:{line}")
        assert [op.where for op in found.ops] == [f"Dockerfile:{line}"]
    assert purge._ops_of_text.cache_info().misses == 1


def _cases() -> list[Path]:
    samples = sorted(p for p in SAMPLES.iterdir() if (p / "Dockerfile").is_file())
    golden = sorted(
        p
        for p in GOLDEN.iterdir()
        if (p / "Dockerfile").is_file() and not (p / "expected" / "refused.txt").exists()
    )
    return samples + golden


def _outputs(case: Path, tmp_path: Path) -> tuple[str, dict[str, bytes], dict[str, object]]:
    ctx = tmp_path / case.name
    shutil.rmtree(ctx, ignore_errors=True)
    shutil.copytree(case, ctx, ignore=shutil.ignore_patterns("expected", "options.json"))
    opts = (
        json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    )
    result = rewrite(ctx / "Dockerfile", **opts)
    assert result.report is not None
    return result.dockerfile, result.files, result.report.to_dict()


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_rewrite_is_the_same_without_the_prefilter(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _outputs(case, tmp_path)
    monkeypatch.setattr(purge, "names_a_package_tool", lambda text: True)
    purge._ops_of_text.cache_clear()
    full = _outputs(case, tmp_path)
    assert fast[0] == full[0] and fast[1] == full[1]
    fast_report, full_report = dict(fast[2]), dict(full[2])
    tool_lines = fast_report.pop("unanalysed"), full_report.pop("unanalysed")
    assert fast_report == full_report
    assert set(tool_lines[0]) <= set(tool_lines[1])
