"""The diff-size HTML page, rendered by a real browser (Debian's headless Chromium)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from squasher.report.size_report import render_html
from tests.test_size_report import _result


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/setup.sh installs it")
        pytest.skip("chromium is not installed")
    return exe


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG into rows of raw pixels (no PIL needed)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        ftype, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                cur[i] = (cur[i] + a) & 255
            elif ftype == 2:
                cur[i] = (cur[i] + b) & 255
            elif ftype == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return width, channels, rows


def test_page_renders_bars_of_both_images(tmp_path: Path) -> None:
    exe = _chromium()
    page = tmp_path / "report.html"
    page.write_text(render_html([_result()]))
    shot = tmp_path / "shot.png"
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    assert "saved 387 MB (83.6%)" in dom
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1000,700", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    width, channels, rows = _png_pixels(shot.read_bytes())
    colours = set()
    for row in rows[::4]:
        for x in range(0, width, 4):
            colours.add(tuple(row[x * channels : x * channels + 3]))
    assert (0xD9, 0x53, 0x4F) in colours  # the original's layers (red bar)
    assert (0x5C, 0xB8, 0x5C) in colours  # the squashed image's layers (green bar)
