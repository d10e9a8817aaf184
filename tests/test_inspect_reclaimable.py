"""Reclaimable bytes by category, on hand-made images."""

from __future__ import annotations

import io

from test_inspect_helpers import Item, d, f, hard, save_archive, sym, wh

from squasher.inspect import pkgdb
from squasher.inspect.layers import final_filesystem
from squasher.inspect.reclaimable import (
    BUILD_PACKAGES,
    category_of,
    default_is_build_package,
    owners_from,
    reclaimable,
)
from squasher.inspect.saved import read_image_archive

STATUS = (
    "Package: gcc-12\nStatus: install ok installed\nVersion: 12.2.0-14\n\n"
    "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n\n"
    "Package: make\nStatus: install ok installed\nVersion: 4.3-4.1\n"
)


def image_layers() -> list[list[Item]]:
    return [
        [
            sym("bin", "usr/bin"),
            d("usr"),
            d("usr/bin"),
            f("usr/bin/gcc-12", b"G" * 5000),
            f("usr/bin/make", b"M" * 700),
            f("usr/lib/libc.so.6", b"C" * 9000),
            f("usr/share/shared", b"S" * 100),  # owned by gcc-12 and libc6: not build-only
            f("var/lib/dpkg/status", STATUS),
            f(
                "var/lib/dpkg/info/gcc-12.list",
                "/.\n/usr\n/usr/bin\n/usr/bin/gcc-12\n/usr/share/shared\n",
            ),
            # merged /usr: dpkg lists /bin/make, the file lives at /usr/bin/make
            f("var/lib/dpkg/info/make.list", "/.\n/bin\n/bin/make\n"),
            f("var/lib/dpkg/info/libc6.list", "/usr/lib/libc.so.6\n/usr/share/shared\n"),
        ],
        [
            f("var/lib/apt/lists/deb_dists_bookworm_main_binary-amd64_Packages.lz4", b"L" * 3000),
            f("var/lib/apt/lists/lock"),
            f("var/cache/apt/pkgcache.bin", b"P" * 1500),
            f("var/cache/apt/archives/file_1.deb", b"D" * 400),
            f("root/.cache/pip/http/a/b/c", b"p" * 250),
            f("home/app/.npm/_cacache/index", b"n" * 60),
            f("usr/local/share/.cache/yarn/v6/pkg", b"y" * 70),
            f("tmp/build.log", b"t" * 30),
            hard("tmp/build.log.2", "tmp/build.log"),
            f("var/tmp/x", b"v" * 20),
            f("tmp/gone", b"g" * 999),
        ],
        [wh("tmp/gone")],
    ]


def test_category_of() -> None:
    assert category_of("/var/lib/apt/lists/x") == "apt-lists"
    assert category_of("/var/lib/apt/extended_states") is None
    assert category_of("/var/cache/apt/archives/partial/y.deb") == "apt-cache"
    assert category_of("/etc/apk/cache/APKINDEX.tar.gz") == "apk-cache"
    assert category_of("/var/cache/dnf/repo/x") == "dnf-cache"
    assert category_of("/home/user/.cache/pip/wheels/x.whl") == "pip-cache"
    assert category_of("/root/.npm/_logs/debug.log") == "npm-cache"
    assert category_of("/root/.cache/yarn/v6/x") == "yarn-cache"
    assert category_of("/tmp/x") == "tmp"
    assert category_of("/tmp") is None
    assert category_of("/usr/lib/python3/dist-packages/pip/x.py") is None


def test_build_package_default_decision() -> None:
    is_build = default_is_build_package()
    for name in ("gcc-12", "make", "libssl-dev", "g++"):
        assert is_build(name), name
    for name in ("libc6", "ca-certificates", "curl", "libssl3"):
        assert not is_build(name), name


def test_reclaimable_by_category() -> None:
    img = read_image_archive(io.BytesIO(save_archive(image_layers())), keep=pkgdb.is_database_file)
    fs = final_filesystem(img)
    owners = owners_from(fs)
    assert owners is not None
    assert owners["/usr/bin/make"] == ["make"]  # /bin/make resolved through the /bin symlink
    rec = reclaimable(fs, owners)
    got = {c.name: (c.bytes, c.files) for c in rec.categories}
    assert got == {
        "apt-lists": (3000, 2),
        "apt-cache": (1900, 2),
        "pip-cache": (250, 1),
        "npm-cache": (60, 1),
        "yarn-cache": (70, 1),
        "tmp": (50, 2),  # the hard link is one inode; the deleted file is not there
        BUILD_PACKAGES: (5700, 2),
    }
    assert rec.total == 3000 + 1900 + 250 + 60 + 70 + 50 + 5700
    build = next(c for c in rec.categories if c.name == BUILD_PACKAGES)
    assert build.packages == ["gcc-12", "make"]
    assert build.largest[0] == ("/usr/bin/gcc-12", 5000)
    assert rec.bytes_of("apk-cache") == 0


def test_explicit_build_package_list_and_no_database() -> None:
    img = read_image_archive(io.BytesIO(save_archive(image_layers())), keep=pkgdb.is_database_file)
    fs = final_filesystem(img)
    rec = reclaimable(fs, owners_from(fs), build_packages=["make"])
    assert rec.bytes_of(BUILD_PACKAGES) == 700
    # without content kept there is no package database: only the path categories
    plain = read_image_archive(io.BytesIO(save_archive(image_layers())))
    fs2 = final_filesystem(plain)
    assert owners_from(fs2) is None
    assert reclaimable(fs2, None).bytes_of(BUILD_PACKAGES) == 0
    assert reclaimable(fs2, None).bytes_of("apt-lists") == 3000
