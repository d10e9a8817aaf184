"""The base images every engine test builds on look like the official ones where it matters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN, DEBIAN_FULL

pytestmark = pytest.mark.engine

RunInImage = Callable[..., tuple[int, str]]


def test_debian_tags_and_default_command(docker_client: Any) -> None:
    slim = docker_client.images.get(DEBIAN)
    assert docker_client.images.get(DEBIAN_FULL).id
    assert slim.attrs["Config"]["Cmd"] == ["bash"]
    assert slim.attrs["Os"] == "linux"


def test_debian_has_the_official_apt_and_dpkg_configuration(run_in_image: RunInImage) -> None:
    status, output = run_in_image(
        DEBIAN,
        [
            "bash",
            "-c",
            "set -e; cd /etc/apt/apt.conf.d;"
            " grep -q 'Dir::Cache::pkgcache \"\";' docker-clean;"
            " grep -q 'APT::Update::Post-Invoke' docker-clean;"
            " grep -q 'SuggestsImportant \"false\"' docker-autoremove-suggests;"
            " grep -q 'GzipIndexes \"true\"' docker-gzip-indexes;"
            " grep -q 'Languages \"none\"' docker-no-languages;"
            " grep -q '^path-exclude /usr/share/doc/\\*' /etc/dpkg/dpkg.cfg.d/docker;"
            " grep -q '^path-exclude /usr/share/man/\\*' /etc/dpkg/dpkg.cfg.d/docker;"
            " test -s /etc/ssl/certs/ca-certificates.crt;"
            " find /var/lib/apt/lists -type f | wc -l;"
            " ls /var/cache/apt/*.bin 2>/dev/null | wc -l;"
            " apt-config dump | grep -c '^Dir::Cache::pkgcache \"\"'",
        ],
    )
    assert status == 0, output
    assert output.split() == ["0", "0", "1"]


def test_busybox_shape(run_in_image: RunInImage, docker_client: Any) -> None:
    assert docker_client.images.get(BUSYBOX).attrs["Config"]["Cmd"] == ["sh"]
    status, output = run_in_image(
        BUSYBOX,
        ["sh", "-c", "stat -c %a /tmp; cut -d: -f1,3 /etc/passwd; cut -d: -f1,3 /etc/group; id -u"],
    )
    assert status == 0, output
    assert output.split() == ["1777", "root:0", "nobody:65534", "root:0", "nobody:65534", "0"]
