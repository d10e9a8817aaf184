"""The README's Layout table matches the tree: every path it lists exists, every package and
top-level module of squasher/ has a row, and a row for a package names each of its modules."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rows() -> list[tuple[list[str], str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Layout")
    section = text[start : text.index("\n## ", start + 1)]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.strip("|").split(" | ")
        rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def test_every_listed_path_exists() -> None:
    listed = [path for paths, _ in _rows() for path in paths]
    assert listed, "no Layout table in README.md"
    assert [p for p in listed if not (ROOT / p).exists()] == []


def test_every_package_and_module_has_a_row() -> None:
    listed = {path.rstrip("/") for paths, _ in _rows() for path in paths}
    package = ROOT / "squasher"
    expected = {
        f"squasher/{p.name}"
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py"))
    }
    assert sorted(expected - listed) == []


def _named(module: Path, names: set[str]) -> bool:
    """A module is named by its file name, its stem, a glob over stems (``verify*``), or, for a
    command module (``diff_size_cmd.py``), by its command (``diff-size``)."""
    command = module.stem.removesuffix("_cmd").replace("_", "-")
    return any(
        module.name == n or module.stem == n or fnmatch.fnmatchcase(module.stem, n) or command == n
        for n in names
    )


def test_a_package_row_names_each_of_its_modules() -> None:
    missing = []
    for paths, description in _rows():
        names = set(re.findall(r"`([^`]+?)(?:\(\))?`", description))
        for path in paths:
            directory = ROOT / path
            if not path.startswith("squasher/") or not directory.is_dir():
                continue
            for module in sorted(directory.glob("*.py")):
                if module.name != "__init__.py" and not _named(module, names):
                    missing.append(str(module.relative_to(ROOT)))
    assert missing == []
