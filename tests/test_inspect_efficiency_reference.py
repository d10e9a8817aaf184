"""``efficiency`` (merging trees in place) against the direct restatement of dive's model on random
layers: files, directories, links, whiteouts and opaque directories over a small set of names, so
that paths meet across layers in every way."""

from __future__ import annotations

import random
from dataclasses import astuple

import dive_efficiency_reference as reference
import pytest

from squasher.inspect.efficiency import efficiency
from squasher.inspect.layers import FileEntry, Layer

NAMES = ["a", "b", "c", ".hidden", "d.txt"]


def _random_layers(rng: random.Random) -> list[Layer]:
    layers = []
    for index in range(rng.randint(1, 5)):
        entries: dict[str, FileEntry] = {}
        whiteouts: list[str] = []
        opaque: list[str] = []
        for _ in range(rng.randint(0, 25)):
            path = "/" + "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 4)))
            roll = rng.random()
            if roll < 0.12 and index:
                whiteouts.append(path)
                continue
            if roll < 0.18 and index:
                opaque.append(path)
                continue
            kind = rng.choice(["file", "file", "dir", "symlink", "hardlink"])
            size = rng.randint(0, 5000) if kind in ("file", "hardlink") else 0
            entries[path] = FileEntry(path, kind, 0o644, 0, 0, size, None, None)  # type: ignore[arg-type]
        layers.append(
            Layer(index, f"{index}/layer.tar", "", list(entries.values()), whiteouts, opaque)
        )
    return layers


@pytest.mark.parametrize("seed", range(300))
def test_efficiency_equals_the_reference_model(seed: int) -> None:
    layers = _random_layers(random.Random(seed))
    assert astuple(efficiency(layers)) == astuple(reference.efficiency(layers))
