"""The analyze-vs-docker-save benchmark's image recipe and table (the timing itself runs in the
benchmark, never here)."""

from __future__ import annotations

import re

from benchmarks.analyze_speed import dockerfile_for, markdown


def test_the_recipe_adds_the_asked_megabytes_in_big_and_small_files() -> None:
    text = dockerfile_for(90, base="squasher-test/busybox:latest")
    assert text.startswith("FROM squasher-test/busybox:latest\n")
    counts = [int(n) for n in re.findall(r"-lt (\d+)", text)]
    sizes = [int(n) for n in re.findall(r"head -c (\d+)", text)]
    assert counts == [81, 9000] and sizes == [1_000_000, 1000]
    assert sum(c * s for c, s in zip(counts, sizes, strict=True)) == 90_000_000


def test_the_table_shows_medians_and_the_ratio() -> None:
    def timing(seconds: float | None) -> dict[str, object]:
        return {"median_seconds": seconds, "min_seconds": seconds, "runs": []}

    row = {
        "megabytes": 20,
        "image_bytes": 22_000_000,
        "docker_save": timing(0.5),
        "squasher_analyze": timing(0.55),
        "squasher_analyze_save": timing(0.8),
        "dive_ci": timing(None),
        "analyze_over_save": 1.1,
        "error": None,
    }
    table = markdown([row])
    assert "| 22 MB | 0.50 s | 0.55 s | 0.80 s | — | 1.10x |" in table
    del row["squasher_analyze_save"]  # results made before the column
    assert "| 22 MB | 0.50 s | 0.55 s | — | — | 1.10x |" in markdown([row])
