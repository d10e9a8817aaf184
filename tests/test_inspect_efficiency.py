"""dive's efficiency figures: hand-worked cases, and dive itself on the same hand-made archives."""

from __future__ import annotations

import io
import json
import math
import random
import subprocess
from pathlib import Path

import pytest
import required_tools
from test_inspect_helpers import Item, d, f, hard, opq, save_archive, sym, wh

from squasher.inspect.efficiency import Efficiency, efficiency
from squasher.inspect.saved import read_image_archive


def measure(layers: list[list[Item]]) -> Efficiency:
    return efficiency(read_image_archive(io.BytesIO(save_archive(layers))).layers)


def test_overwritten_file_is_wasted_at_all_its_copies() -> None:
    e = measure([[f("keep", b"k" * 1000), f("a", b"1" * 100)], [f("a", b"2" * 50)]])
    assert e.wasted_bytes == 150
    assert [(w.path, w.count, w.cumulative_size, w.min_size) for w in e.wasted] == [
        ("/a", 2, 150, 50)
    ]
    assert e.efficiency == pytest.approx((1000 + 50) / (1000 + 150))
    assert e.size == 1150
    assert e.user_size == 50
    assert e.user_wasted_ratio == pytest.approx(150 / 50)


def test_removed_file_counts_its_bytes_and_the_whiteout_nothing() -> None:
    e = measure([[f("a", b"x" * 100), f("b", b"y" * 100)], [wh("a")]])
    assert [(w.path, w.count, w.cumulative_size, w.min_size) for w in e.wasted] == [
        ("/a", 2, 100, 0)
    ]
    assert e.efficiency == pytest.approx(100 / 200)
    assert e.user_size == 0
    assert math.isinf(e.user_wasted_ratio)


def test_removed_directory_is_charged_once_at_the_size_it_hides() -> None:
    # dive visits leaves only: /d/x and /d/y are seen once, the whiteout of /d once with 30 bytes
    e = measure([[d("d"), f("d/x", b"x" * 10), f("d/y", b"y" * 20)], [wh("d")]])
    assert e.wasted == []
    assert e.wasted_bytes == 0
    assert e.efficiency == 1.0


def test_opaque_directory_is_ignored_as_dive_ignores_it() -> None:
    e = measure([[d("o"), f("o/x", b"x" * 10)], [d("o"), opq("o"), f("o/y", b"y" * 5)]])
    assert e.wasted == []
    e = measure([[d("o"), f("o/x", b"x" * 10)], [d("o"), opq("o")]])
    # /o is a leaf of the second layer only: one sighting, nothing wasted
    assert e.wasted == []


def test_empty_directory_in_two_layers_is_listed_with_zero_bytes() -> None:
    e = measure([[d("e")], [d("e")]])
    assert [(w.path, w.count, w.cumulative_size) for w in e.wasted] == [("/e", 2, 0)]
    assert e.wasted_bytes == 0


def test_hard_links_weigh_nothing() -> None:
    e = measure([[f("a", b"x" * 100), hard("b", "a")], [hard("b", "a"), f("a", b"x" * 100)]])
    assert {w.path: w.cumulative_size for w in e.wasted} == {"/a": 200, "/b": 0}


def test_whiteout_of_unknown_path_stops_the_layer_like_dive() -> None:
    # ".wh.missing" sorts before "b": dive's visitor fails on it and never sees /b of layer 1
    # and /missing keeps the record dive made before failing: minimum -1, no bytes
    e = measure([[f("b", b"1" * 10)], [wh("missing"), f("b", b"2" * 10)]])
    assert e.wasted == []
    assert e.efficiency == pytest.approx(9 / 10)


# ---------------------------------------------------------------------------------------------
# dive itself, reading the same archives (docker-archive source: no engine needed)


def dive_figures(archive: Path, tmp_path: Path) -> dict[str, object]:
    """dive's figures for ``archive`` (skipped without dive; failed under CI=true)."""
    exe = required_tools.require("dive")
    out = tmp_path / "dive.json"
    subprocess.run(
        [exe, "--source", "docker-archive", str(archive), "--json", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    image: dict[str, object] = json.loads(out.read_text())["image"]
    return image


def random_layers(rng: random.Random) -> list[list[Item]]:
    names = ["a", "b", "c", "d1/x", "d1/y", "d1/sub/z", "d2/p", "d2/q", "e"]
    layers: list[list[Item]] = []
    present: set[str] = set()
    for index in range(rng.randint(2, 5)):
        items: list[Item] = []
        dirs: set[str] = set()

        def parents(path: str, dirs: set[str] = dirs, items: list[Item] = items) -> None:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                p = "/".join(parts[:i])
                if p not in dirs:
                    dirs.add(p)
                    items.append(d(p))

        for name in rng.sample(names, rng.randint(1, len(names))):
            action = rng.random()
            if (
                index > 0
                and action < 0.25
                and any(p == name or p.startswith(name) for p in present)
            ):
                parents(name)
                items.append(wh(name))
                present = {p for p in present if p != name and not p.startswith(name + "/")}
            elif index > 0 and action < 0.35 and name.startswith("d"):
                top = name.split("/")[0]
                parents(top + "/x")
                items.append(opq(top))
            elif action < 0.45 and "a" in present and name != "a":
                parents(name)
                items.append(sym(name, "/a"))
                present.add(name)
            else:
                parents(name)
                items.append(
                    f(name, bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000))))
                )
                present.add(name)
        files = [i.name for i in items if i.kind == "file" and "/" not in i.name]
        if files and rng.random() < 0.4:
            items.append(hard(f"link{index}", rng.choice(files)))
        if index > 0 and rng.random() < 0.2:
            items.append(wh(rng.choice(["ghost", "zz-ghost"])))  # hides nothing: dive trips on it
        if index > 0 and rng.random() < 0.3:
            items.append(d("empty"))
        layers.append(items)
    return layers


@pytest.mark.parametrize("seed", range(16))
def test_figures_equal_dives_on_random_archives(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    layers = [[d("d1"), f("d1/x", b"base" * 500), f("a", b"A" * 700), d("d2")], *random_layers(rng)]
    data = save_archive(layers)
    archive = tmp_path / "image.tar"
    archive.write_bytes(data)
    ours = efficiency(read_image_archive(io.BytesIO(data)).layers)
    theirs = dive_figures(archive, tmp_path)
    assert ours.size == theirs["sizeBytes"]
    assert ours.wasted_bytes == theirs["inefficientBytes"]
    assert ours.efficiency == pytest.approx(theirs["efficiencyScore"], rel=1e-12)
    refs = theirs["fileReference"]
    assert isinstance(refs, list)
    assert sorted((r["file"], r["count"], r["sizeBytes"]) for r in refs) == sorted(
        (w.path, w.count, w.cumulative_size) for w in ours.wasted
    )


HAND_CASES: dict[str, list[list[Item]]] = {
    "overwrite": [[f("keep", b"k" * 1000), f("a", b"1" * 100)], [f("a", b"2" * 50)]],
    "remove-dir": [[d("d"), f("d/x", b"x" * 10), f("d/y", b"y" * 20)], [wh("d")], [f("z", b"z")]],
    "opaque": [[d("o"), f("o/x", b"x" * 10)], [d("o"), opq("o"), f("o/y", b"y" * 5)]],
    "unknown-whiteout": [[f("b", b"1" * 10)], [wh("missing"), f("b", b"2" * 10)]],
    "hard-links": [[f("a", b"x" * 100), hard("b", "a")], [hard("b", "a"), f("a", b"x" * 100)]],
}


@pytest.mark.parametrize("case", sorted(HAND_CASES))
def test_figures_equal_dives_on_hand_cases(case: str, tmp_path: Path) -> None:
    data = save_archive(HAND_CASES[case])
    archive = tmp_path / "image.tar"
    archive.write_bytes(data)
    ours = efficiency(read_image_archive(io.BytesIO(data)).layers)
    theirs = dive_figures(archive, tmp_path)
    assert (ours.size, ours.wasted_bytes) == (theirs["sizeBytes"], theirs["inefficientBytes"])
    assert ours.efficiency == pytest.approx(theirs["efficiencyScore"], rel=1e-12)
