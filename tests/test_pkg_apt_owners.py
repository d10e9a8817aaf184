"""apt's owner lookup: the packages whose dpkg file lists hold a needed path, read in one pass
(what ``dpkg-query --search`` answers for an exact path), run with the host's awk."""

from __future__ import annotations

import subprocess
from pathlib import Path

from squasher.pkg.apt import _OWNERS_AWK


def owners(tmp_path: Path, lists: dict[str, list[str]], needed: list[str]) -> list[str]:
    info = tmp_path / "info"
    info.mkdir()
    for name, paths in lists.items():
        (info / f"{name}.list").write_text("".join(f"{p}\n" for p in paths))
    (tmp_path / "needed").write_text("".join(f"{line}\n" for line in needed))
    names = [*sorted(str(p) for p in info.iterdir()), str(info / "gone.list")]
    out = subprocess.run(
        ["awk", "-v", f"needed={tmp_path / 'needed'}", _OWNERS_AWK],
        input="".join(f"{n}\n" for n in names),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def test_the_first_spelling_a_package_lists_names_its_owners(tmp_path: Path) -> None:
    found = owners(
        tmp_path,
        {
            "libc6:amd64": ["/.", "/lib/x86_64-linux-gnu/libc.so.6"],
            "libpq5:amd64": ["/usr/lib/x86_64-linux-gnu/libpq.so.5.15"],
            "python3.11-minimal": ["/usr/bin/python3.11"],
            "a": ["/opt/shared"],
            "b": ["/opt/shared"],
        },
        [
            # the path in the other spelling under a merged /usr
            "/app/x\t/usr/lib/x86_64-linux-gnu/libc.so.6\t/usr/lib/x86_64-linux-gnu/libc.so.6",
            # only the real path is listed
            "/app/x\t/usr/lib/x86_64-linux-gnu/libpq.so.5\t/usr/lib/x86_64-linux-gnu/libpq.so.5.15",
            "/app/run\t/bin/python3.11\t/bin/python3.11",
            "/app/y\t/opt/shared\t/opt/shared",
            # owned by nothing: no line
            "/app/x\t/usr/local/lib/libown.so\t/usr/local/lib/libown.so",
        ],
    )
    assert found == [
        "libc6:amd64\t/app/x\t/usr/lib/x86_64-linux-gnu/libc.so.6",
        "libpq5:amd64\t/app/x\t/usr/lib/x86_64-linux-gnu/libpq.so.5",
        "python3.11-minimal\t/app/run\t/bin/python3.11",
        "a\t/app/y\t/opt/shared",
        "b\t/app/y\t/opt/shared",
    ]


def test_a_path_is_matched_exactly_not_as_a_pattern(tmp_path: Path) -> None:
    found = owners(
        tmp_path,
        {"libfoo": ["/usr/lib/libfoo.so.1", "/usr/lib/libfoo.so.1.2"]},
        ["/app/x\t/usr/lib/libfoo.so\t/usr/lib/libfoo.so", "/app/x\t/usr/lib/lib*\t/usr/lib/lib*"],
    )
    assert found == []
