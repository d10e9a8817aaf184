"""verify's report as text and JSON, against golden files (SQUASHER_UPDATE_GOLDEN=1 rewrites them
after a reviewed change), and properties of the filesystem comparison (hypothesis)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squasher.inspect.classify import (
    ADDED,
    CHANGED,
    CONFIG,
    EXPECTED,
    PROTECTED,
    REMOVED,
    SMOKE,
    Difference,
)
from squasher.inspect.layers import FileEntry, FinalFilesystem
from squasher.inspect.verify import (
    ImageSide,
    SmokeOutcome,
    SmokeResult,
    VerifyResult,
    compare_filesystems,
)

GOLDEN = Path(__file__).parent / "golden" / "verify"


def sample_result() -> VerifyResult:
    diffs = [
        Difference(
            "/usr/bin/gcc-12",
            REMOVED,
            original_size=1_200_000,
            category=EXPECTED,
            reason="file of purged package gcc-12",
            package="gcc-12",
        ),
        Difference(
            "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
            REMOVED,
            original_size=33_000_000,
            category=EXPECTED,
            reason="file of purged package gcc-12",
            package="gcc-12",
        ),
        Difference(
            "/var/lib/apt/lists/x_Packages",
            REMOVED,
            original_size=9_000_000,
            category=EXPECTED,
            reason="package database",
        ),
        Difference(
            "/usr/lib/x86_64-linux-gnu/libpq.so.5.15",
            ADDED,
            squashed_size=330_000,
            category=PROTECTED,
            reason="runtime package libpq5 kept; the original removes it at line 12",
            package="libpq5",
            line=12,
        ),
        Difference(
            "/app/config.ini",
            CHANGED,
            details=("mode 0644 -> 0600", "owner 0:0 -> 1000:1000"),
            original_size=120,
            squashed_size=120,
        ),
        Difference("/app/run.sh", REMOVED, original_size=300),
        Difference("Env.DEBUG", CONFIG, details=("Env DEBUG added: '1'",)),
        Difference(
            "python3 -c 'import psycopg2'", SMOKE, details=("exit 0 -> 1", "stderr differs")
        ),
    ]
    side = ImageSide(
        "app:orig", "sha256:" + "1" * 64, paths=15131, size=541_200_000, package_managers=("dpkg",)
    )
    squashed = ImageSide(
        "app:squashed",
        "sha256:" + "2" * 64,
        paths=12000,
        size=130_000_000,
        package_managers=("dpkg",),
    )
    smoke = [
        SmokeResult(
            "uwsgi --version", SmokeOutcome(0, "2.0.28\n", ""), SmokeOutcome(0, "2.0.28\n", "")
        ),
        SmokeResult(
            "python3 -c 'import psycopg2'",
            SmokeOutcome(0, "", ""),
            SmokeOutcome(1, "", "ImportError: libpq.so.5\n"),
        ),
    ]
    return VerifyResult(
        side, squashed, diffs, smoke=smoke, purged_packages=["gcc-12"], extra_packages=["libpq5"]
    )


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.txt", lambda r: r.format_text()),
        ("report-verbose.txt", lambda r: r.format_text(verbose=True)),
        ("report.json", lambda r: json.dumps(r.to_json(), indent=2, sort_keys=True) + "\n"),
    ],
)
def test_report_matches_golden(name: str, render: object) -> None:
    output = render(sample_result())  # type: ignore[operator]
    golden = GOLDEN / name
    if os.environ.get("SQUASHER_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(output)
    assert output == golden.read_text(), f"{golden} differs (SQUASHER_UPDATE_GOLDEN=1 rewrites)"


def test_report_is_deterministic() -> None:
    from hashseed import outputs_across_hash_seeds

    code = (
        "import json\nfrom test_verify_output import sample_result\n"
        "print(sample_result().format_text()); print(json.dumps(sample_result().to_json()))\n"
    )
    first, *others = outputs_across_hash_seeds(code)
    assert all(out == first for out in others)


# ------------------------------------------------------------------ properties

names = st.sampled_from(["/a", "/a/b", "/a/c", "/d", "/d/e", "/f"])
entries = st.builds(
    lambda path, kind, mode, uid, data, target: FileEntry(
        path=path,
        kind=kind,
        mode=mode,
        uid=uid,
        gid=0,
        size=len(data) if kind == "file" else 0,
        sha256=hashlib.sha256(data).hexdigest() if kind == "file" else None,
        linkname=target if kind == "symlink" else None,
    ),
    names,
    st.sampled_from(["file", "dir", "symlink"]),
    st.sampled_from([0o644, 0o755, 0o600]),
    st.sampled_from([0, 1000]),
    st.binary(max_size=4),
    st.sampled_from(["a", "/x"]),
)


def tree(items: list[FileEntry]) -> FinalFilesystem:
    found = {e.path: e for e in items}
    return FinalFilesystem(
        entries=dict(sorted(found.items())), layer_of=dict.fromkeys(found, 0), hardlink_groups=[]
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(entries, max_size=6), st.lists(entries, max_size=6))
def test_comparison_properties(a_items: list[FileEntry], b_items: list[FileEntry]) -> None:
    a, b = tree(a_items), tree(b_items)
    assert list(compare_filesystems(a, a)) == []
    forward = {d.path: d for d in compare_filesystems(a, b)}
    backward = {d.path: d for d in compare_filesystems(b, a)}
    assert set(forward) == set(backward)  # the same paths differ both ways
    flip = {REMOVED: ADDED, ADDED: REMOVED, CHANGED: CHANGED}
    for path, d in forward.items():
        assert backward[path].change == flip[d.change]
        assert (d.change == REMOVED) == (path in a.entries and path not in b.entries)
    # every path outside the difference is identical apart from mtime
    for path in set(a.entries) & set(b.entries) - set(forward):
        assert a.entries[path] == b.entries[path]
