"""The forward-only tar reader against archives written by the standard library in every format."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from squasher.inspect.layers import ImageArchiveError, read_layer_tar
from squasher.inspect.tarstream import Source, TarFormatError, _number, members

LONG = "usr/lib/" + "/".join(["a-rather-long-directory-name"] * 6) + "/file.txt"


def archive(fmt: int, with_xattr: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data in (("short", b"s" * 10), (LONG, b"long content"), ("empty", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o640
            info.uid, info.gid = 1000, 50
            info.mtime = 1_700_000_000
            if with_xattr and name == "short":
                info.pax_headers = {"SCHILY.xattr.security.capability": "cap"}
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("usr/bin/" + "l" * 120)
        link.type = tarfile.SYMTYPE
        link.linkname = "/" + "t" * 150
        tar.addfile(link)
        d = tarfile.TarInfo("dir")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        tar.addfile(d)
        dev = tarfile.TarInfo("dev/null")
        dev.type = tarfile.CHRTYPE
        dev.devmajor, dev.devminor = 1, 3
        tar.addfile(dev)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
def test_members_in_every_format(fmt: int) -> None:
    got = []
    for member, body in members(Source(io.BytesIO(archive(fmt)))):
        got.append((member.name, member.type, member.mode, member.uid, member.gid, body.read()))
        if member.type == b"2":
            assert member.linkname == "/" + "t" * 150
        if member.type == b"3":
            assert (member.devmajor, member.devminor) == (1, 3)
    assert got == [
        ("short", b"0", 0o640, 1000, 50, b"s" * 10),
        (LONG, b"0", 0o640, 1000, 50, b"long content"),
        ("empty", b"0", 0o640, 1000, 50, b""),
        ("usr/bin/" + "l" * 120, b"2", 0o644, 0, 0, b""),
        ("dir/", b"5", 0o755, 0, 0, b""),  # as written: normalize_path drops the slash
        ("dev/null", b"3", 0o644, 0, 0, b""),
    ]


def test_ustar_prefix_names() -> None:
    name = "/".join(["p" * 50] * 2) + "/" + "n" * 60  # > 100 chars, split into prefix + name
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    [(member, _)] = [(m, b.read()) for m, b in members(Source(io.BytesIO(buf.getvalue())))]
    assert member.name == name


def test_unread_content_is_skipped_and_xattrs_parsed() -> None:
    data = archive(tarfile.PAX_FORMAT, with_xattr=True)
    names = [m.name for m, _ in members(Source(io.BytesIO(data)))]  # never reads a body
    assert names[:3] == ["short", LONG, "empty"]
    layer = read_layer_tar(io.BytesIO(data))
    short = next(e for e in layer.entries if e.path == "/short")
    assert short.xattrs == (("security.capability", "cap"),)


def test_gzip_layer() -> None:
    layer = read_layer_tar(io.BytesIO(gzip.compress(archive(tarfile.PAX_FORMAT))))
    assert [e.path for e in layer.entries][:2] == ["/short", "/" + LONG]


def test_numbers() -> None:
    assert _number(b"0000644\0") == 0o644
    assert _number(b"        ") == 0
    big = (1 << 40).to_bytes(11, "big")
    assert _number(bytes([0x80]) + big) == 1 << 40  # base-256, as GNU tar writes sizes >= 8 GiB


def test_corrupt_and_truncated_archives() -> None:
    data = archive(tarfile.GNU_FORMAT)
    broken = bytearray(data)
    broken[0] ^= 0xFF  # breaks the first header's checksum
    with pytest.raises(TarFormatError, match="checksum"):
        list(members(Source(io.BytesIO(bytes(broken)))))
    with pytest.raises(TarFormatError, match="end of data"):
        for _member, body in members(Source(io.BytesIO(data[:700]))):
            body.read()
    with pytest.raises(ImageArchiveError):
        read_layer_tar(io.BytesIO(data[:700]))
