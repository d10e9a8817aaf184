"""The shared sh pieces run for real in busybox and debian containers (no network needed):
the time marker and its find fallback, the scan for new files, shebang parsing, /tmp cleanup."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.pkg.common import (
    built_files_sh,
    marker_sh,
    newer_sh,
    shebang_interpreter_sh,
    tmp_clean_sh,
)

pytestmark = pytest.mark.engine

IMAGES = {BUSYBOX: "-newer", DEBIAN: "-cnewer"}
SH = {BUSYBOX: "/bin/sh", DEBIAN: "/usr/bin/sh"}  # command -v sh


def script() -> str:
    return (
        "set -eu\n"
        "export SQUASHER_STATE=/squasher-state\n"
        "mkdir -p /tmp/olddir /usr/local/bin /opt/app\n"
        "touch /tmp/old /tmp/olddir/f\n"
        "sleep 1\n"
        + marker_sh()
        + "sleep 1\n"
        # what a build leaves: new files in /tmp, scripts, a shared object, a plain file
        + "mkdir -p /tmp/newdir/x && touch /tmp/new /tmp/newdir/x/y\n"
        + "printf '#!/usr/bin/env sh\\necho hi\\n' > /usr/local/bin/viaenv\n"
        + "printf '#!/bin/sh -e\\necho hi\\n' > /usr/local/bin/direct\n"
        + "printf '#! /nonexistent/python\\n' > /usr/local/bin/missing\n"
        + "chmod 755 /usr/local/bin/viaenv /usr/local/bin/direct /usr/local/bin/missing\n"
        + "cp /bin/sh /opt/app/libfake.so.1 && chmod 644 /opt/app/libfake.so.1\n"
        + "echo data > /opt/app/readme.txt\n"
        + newer_sh()
        + 'echo "newer=$squasher_newer"\n'
        + built_files_sh("echo /usr/local/bin/direct", "built")
        + "while IFS= read -r squasher_f; do\n"
        + '\tcase "$squasher_f" in /usr/local/bin/*) ;; *) echo "built $squasher_f"; continue ;; esac\n'
        + shebang_interpreter_sh("squasher_f", "squasher_i")
        + '\techo "built $squasher_f interp=$squasher_i"\n'
        + 'done < "$SQUASHER_STATE/built"\n'
        + tmp_clean_sh()
        + "ls -a /tmp | sort | tr '\\n' ' '; echo\n"
    )


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_common_pieces(image: str, run_in_image: Any) -> None:
    status, out = run_in_image(image, ["sh", "-c", script()])
    assert status == 0, out
    lines = out.splitlines()
    assert f"newer={IMAGES[image]}" in lines
    built = sorted(line for line in lines if line.startswith("built "))
    assert built == [
        "built /opt/app/libfake.so.1",
        "built /usr/local/bin/missing interp=",
        f"built /usr/local/bin/viaenv interp={SH[image]}",
    ], out
    assert lines[-1].split() == [".", "..", "old", "olddir"], out
