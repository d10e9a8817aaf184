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


class _Trickle:
    """A stream that hands out at most ``step`` bytes a read (headers and contents straddle)."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def read(self, n: int = -1, /) -> bytes:
        n = self._step if n < 0 else min(n, self._step)
        out = bytes(self._data[self._pos : self._pos + n])
        self._pos += len(out)
        return out


def _rich_archive(fmt: int) -> bytes:
    """Files of sizes around the block size, long names and link targets, a hard link, a
    directory, a device, a fifo and PAX records (in PAX format)."""
    ustar = fmt == tarfile.USTAR_FORMAT  # names up to 255 (prefix + name), links up to 100
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for i, size in enumerate((0, 1, 511, 512, 513, 1023, 4096, 70_000)):
            info = tarfile.TarInfo(f"files/f{i}")
            info.size, info.mode, info.uid, info.gid = size, 0o600 + i, 1000 + i, 2000 + i
            info.mtime = 1_700_000_000 + i
            if fmt == tarfile.PAX_FORMAT and i == 2:
                info.pax_headers = {"SCHILY.xattr.user.note": "n\u00e9", "comment": "x"}
            tar.addfile(info, io.BytesIO(bytes([i % 251]) * size))
        for typ, name, link in (
            (tarfile.LNKTYPE, "files/hard", "files/f3"),
            (
                tarfile.SYMTYPE,
                "sym/" + "s" * 60 + "/" + "s" * 60,
                "../" + "t" * (40 if ustar else 120),
            ),
            (tarfile.DIRTYPE, "d/" + "e" * 70 + "/" + "e" * 50, ""),
            (tarfile.FIFOTYPE, "fifo", ""),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = typ, link
            tar.addfile(info)
        dev = tarfile.TarInfo("dev/sda")
        dev.type, dev.devmajor, dev.devminor = tarfile.BLKTYPE, 8, 1
        tar.addfile(dev)
        big_uid = tarfile.TarInfo("owner/" + "o" * 90)
        big_uid.uid = 3_000_000  # > 7 octal digits: base-256 in GNU, a PAX record in PAX
        if not ustar:
            tar.addfile(big_uid, io.BytesIO(b""))
    return buf.getvalue()


def _as_tarfile_sees(data: bytes) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for info in tar:
            content = tar.extractfile(info).read() if info.isreg() else b""  # type: ignore[union-attr]
            devices = (info.devmajor, info.devminor) if info.ischr() or info.isblk() else (0, 0)
            out.append(
                (
                    info.name,
                    info.type,
                    info.mode,
                    info.uid,
                    info.gid,
                    info.mtime,
                    info.linkname,
                    devices,
                    content,
                )
            )
    return out


def _as_members_sees(data: bytes, step: int) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for m, body in members(Source(_Trickle(data, step))):
        name = m.name.rstrip("/") if m.type == b"5" else m.name
        content = b"".join(bytes(v) for v in body.views()) if step % 2 else body.read()
        out.append(
            (
                name,
                m.type,
                m.mode,
                m.uid,
                m.gid,
                m.mtime,
                m.linkname,
                (m.devmajor, m.devminor),
                content,
            )
        )
    return out


@pytest.mark.parametrize(
    "fmt",
    [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT],
    ids=["gnu", "pax", "ustar"],
)
@pytest.mark.parametrize("step", [1, 7, 511, 512, 513, 4096, 1 << 20])
def test_members_agree_with_tarfile_at_every_chunking(fmt: int, step: int) -> None:
    data = _rich_archive(fmt)
    assert _as_members_sees(data, step) == _as_tarfile_sees(data)


@pytest.mark.parametrize("step", [1, 100, 512, 1 << 20])
def test_a_nested_tar_is_read_in_place_within_its_bounds(step: int) -> None:
    """A layer tar inside an archive is parsed from the archive's own stream, bounded to the
    member: the members after it are read as they are, whatever the chunking."""
    inner = _rich_archive(tarfile.PAX_FORMAT)
    outer = io.BytesIO()
    with tarfile.open(fileobj=outer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("a/layer.tar", inner), ("after.json", b"{}"), ("b.tar", inner)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    source = Source(_Trickle(outer.getvalue(), step))
    seen = []
    for member, body in members(source):
        if member.name.endswith(".tar"):
            source.limit(body.remaining)
            body.remaining = 0
            layer = read_layer_tar(source)
            source.unlimit()
            seen.append((member.name, [e.path for e in layer.entries][:3]))
        else:
            seen.append((member.name, [body.read().decode()]))
    first = ["/files/f0", "/files/f1", "/files/f2"]
    assert seen == [("a/layer.tar", first), ("after.json", ["{}"]), ("b.tar", first)]


def test_layer_entries_from_a_trickle_equal_those_from_one_read() -> None:
    data = _rich_archive(tarfile.GNU_FORMAT)
    whole = read_layer_tar(io.BytesIO(data))
    for step in (1, 300, 513):
        assert read_layer_tar(_Trickle(data, step)).entries == whole.entries
    hard = next(e for e in whole.entries if e.path == "/files/hard")
    f3 = next(e for e in whole.entries if e.path == "/files/f3")
    assert (hard.kind, hard.size, hard.sha256) == ("hardlink", 512, f3.sha256)


def test_limits_do_not_let_a_member_run_past_its_archive() -> None:
    source = Source(io.BytesIO(b"x" * 100))
    source.limit(50)
    with pytest.raises(TarFormatError, match="past its archive"):
        source.limit(51)
    assert source.read() == b"x" * 50
    source.unlimit()
    assert source.read() == b"x" * 50
