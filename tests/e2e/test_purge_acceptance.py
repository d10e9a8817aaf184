"""The purge on real builds: build tools purged, caches cleaned, runtime kept.

Each test rewrites a Dockerfile with squasher (the product path: ``diff_size`` rewrites into an
exact context and builds both images), then runs commands in the squashed image.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEBIAN, sample_copy

from squasher.measure.diff_size import DiffSizeResult, diff_size

pytestmark = pytest.mark.engine
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _run(client: Any, image: str, command: str) -> tuple[int, str]:
    container = client.containers.create(image, ["sh", "-c", command], network_disabled=True)
    try:
        container.start()
        status = container.wait(timeout=300)["StatusCode"]
        return int(status), container.logs().decode("utf-8", "replace")
    finally:
        container.remove(force=True)


@contextlib.contextmanager
def _kept(client: Any, result: DiffSizeResult) -> Iterator[DiffSizeResult]:
    try:
        yield result
    finally:
        for image in (result.original.image, result.squashed.image):
            if image:
                with contextlib.suppress(Exception):
                    client.api.remove_image(image, force=True)


@contextlib.contextmanager
def _squashed(client: Any, context: Path, dockerfile: str) -> Iterator[tuple[DiffSizeResult, str]]:
    """diff-size (classic) of ``dockerfile`` written into ``context``; the images are removed after."""
    (context / "Dockerfile").write_text(dockerfile)
    with _kept(
        client, diff_size(context, builder="classic", keep_images=True, client=client)
    ) as result:
        assert result.squashed.image is not None
        yield result, result.squashed.image


def test_c_libpq_tools_purged_libpq5_kept_and_as_small_as_the_expert(
    docker_client: Any, build_image: Any, tmp_path: Path
) -> None:
    sample = sample_copy("c-libpq", tmp_path / "c-libpq")
    with _kept(
        docker_client, diff_size(sample, builder="classic", keep_images=True, client=docker_client)
    ) as result:
        image = result.squashed.image
        assert image is not None
        status, out = _run(docker_client, image, "pqversion")
        assert status == 0 and out.strip(), out
        __status, out = _run(
            docker_client,
            image,
            "for p in gcc make libpq-dev; do dpkg -s $p >/dev/null 2>&1 && echo still $p; done;"
            " dpkg -s libpq5 | grep -q '^Status: install ok installed' || echo libpq5 gone;"
            " find /var/lib/apt/lists /var/cache/apt -type f ! -name lock | head",
        )
        assert out.strip() == "", out
        packages = {p["package"]: p for p in result.report["packages"]}
        for name in ("gcc", "make", "libpq-dev"):
            assert packages[name]["purged"], packages[name]
        assert result.squashed.layers <= 3
        reference = docker_client.api.inspect_image(
            build_image(sample / "reference", builder="classic")
        )["Size"]
        ratio = result.squashed.size / reference
        print(f"c-libpq: squashed {result.squashed.size} B, reference {reference} B, {ratio:.3f}x")
        assert ratio <= 1.05


INTERPRETER = f"""\
FROM {DEBIAN}
RUN apt-get update
RUN apt-get install -y --no-install-recommends python3-dev
RUN printf '#!/usr/bin/python3\\nprint("interpreter alive")\\n' > /usr/local/bin/tool \\
    && chmod 755 /usr/local/bin/tool
CMD ["tool"]
"""


def test_interpreter_pulled_in_by_a_dev_package_survives(
    docker_client: Any, tmp_path: Path
) -> None:
    with _squashed(docker_client, tmp_path, INTERPRETER) as (result, image):
        _status, out = _run(
            docker_client,
            image,
            "tool; dpkg -s python3-dev >/dev/null 2>&1 && echo dev-still-here; true",
        )
        assert out.strip() == "interpreter alive", out
        assert result.squashed.size < result.original.size


PIP_IMPORTS = f"""\
FROM {DEBIAN}
RUN apt-get update
RUN apt-get install -y --no-install-recommends python3 python3-pip
RUN mkdir -p /usr/local/lib/app \\
    && printf 'import pkg_resources\\nprint("loaded", pkg_resources.__name__)\\n' \\
    > /usr/local/lib/app/main.py
CMD ["python3", "/usr/local/lib/app/main.py"]
"""


def test_pip_purged_but_the_module_installed_code_imports_stays(
    docker_client: Any, tmp_path: Path
) -> None:
    # python3-pip is a build tool; pkg_resources (python3-pkg-resources, which came with pip)
    # is imported by a file the build wrote, so the protection keeps it
    with _squashed(docker_client, tmp_path, PIP_IMPORTS) as (result, image):
        status, out = _run(
            docker_client,
            image,
            "python3 /usr/local/lib/app/main.py && if dpkg -s python3-pip >/dev/null 2>&1; then echo pip; fi",
        )
        assert (status, out.strip()) == (0, "loaded pkg_resources"), out
        packages = {p["package"]: p for p in result.report["packages"]}
        assert packages["python3-pip"]["purged"], packages["python3-pip"]
        protected = {p["package"]: p for p in result.report["protected"]}
        assert "python3-pkg-resources" in protected, protected
        assert protected["python3-pkg-resources"]["file"] == "/usr/local/lib/app/main.py"


@pytest.mark.slow
def test_pip_requirements_compiled_from_source_import_after_the_purge(
    docker_client: Any, tmp_path: Path
) -> None:
    sample = sample_copy("python-psycopg2", tmp_path / "python-psycopg2")
    with _kept(
        docker_client, diff_size(sample, builder="classic", keep_images=True, client=docker_client)
    ) as result:
        image = result.squashed.image
        assert image is not None
        probe = (sample / "probe").read_text().strip()
        status, out = _run(docker_client, image, probe)
        assert status == 0, out
        assert result.saved_ratio > 0.3, result.saved_ratio


@pytest.mark.slow
def test_onelove_line_by_line_purge_no_longer_breaks_psycopg2(
    docker_client: Any, tmp_path: Path
) -> None:
    """The seed's own recipe purges libpq5 with libpq-dev; squasher protects it and says so."""
    sample = sample_copy("onelove", tmp_path / "onelove")
    with _kept(
        docker_client, diff_size(sample, builder="classic", keep_images=True, client=docker_client)
    ) as result:
        assert result.original.image and result.squashed.image
        probe = (sample / "probe").read_text().strip()
        status, out = _run(docker_client, result.original.image, probe)
        assert status != 0 and "libpq.so.5" in out  # the original really is broken
        status, out = _run(docker_client, result.squashed.image, probe)
        assert status == 0, out
        protected = {p["package"] for p in result.report["protected"]}
        assert any(name.startswith("libpq5") for name in protected), result.report["protected"]
        print(
            f"onelove: {result.original.size} -> {result.squashed.size} B ({result.saved_ratio:.1%})"
        )
        assert result.saved_ratio >= 0.70


ONE_RUN = f"""\
FROM {DEBIAN}
COPY pqversion.c /src/
RUN apt-get update \\
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \\
    && gcc -o /usr/local/bin/pqversion -I/usr/include/postgresql /src/pqversion.c -lpq \\
    && apt-get purge -y --auto-remove gcc libc6-dev libpq-dev
CMD ["pqversion"]
"""


def test_purge_inside_the_building_run_keeps_the_runtime_library(
    docker_client: Any, tmp_path: Path
) -> None:
    """The original's own purge --auto-remove, in the RUN that built the program, removes libpq5
    (the original is broken); the wrappers protect it right before that purge."""
    (tmp_path / "Dockerfile").write_text(ONE_RUN)
    (tmp_path / "pqversion.c").write_bytes((SAMPLES / "c-libpq" / "pqversion.c").read_bytes())
    with _kept(
        docker_client,
        diff_size(tmp_path, builder="classic", keep_images=True, client=docker_client),
    ) as result:
        assert result.original.image and result.squashed.image
        status, out = _run(docker_client, result.original.image, "pqversion")
        assert status != 0 and "libpq.so.5" in out, out
        status, out = _run(docker_client, result.squashed.image, "pqversion; ls /usr/local/sbin")
        assert status == 0, out
        assert "apt-get" not in out  # the wrappers are gone
        protected = {(p["package"], p["where"]) for p in result.report["protected"]}
        assert ("libpq5", "Dockerfile:3") in protected, result.report["protected"]
