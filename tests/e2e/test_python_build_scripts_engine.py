"""A project's ``setup.py`` is its build's: the setuptools it imports goes with pip when nothing
the image runs names setup.py, and stays when the CMD runs it. Both images built on the classic
builder from one template; the installed package imports in both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEBIAN

from squasher.engine import Scratch
from squasher.inspect.verify import verify
from squasher.pkg.evidence import Evidence, python_build_scripts
from squasher.rewriting import rewrite

pytestmark = pytest.mark.engine

SETUP_PY = (
    "from setuptools import setup\n\nsetup(name='greeter', version='1.0', packages=['greeter'])\n"
)
TEMPLATE = """\
FROM {base}
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip
WORKDIR /app
COPY setup.py ./
COPY greeter ./greeter
RUN pip install --break-system-packages --no-build-isolation . && rm -rf build *.egg-info
RUN rm -rf /var/lib/apt/lists/*
CMD {cmd}
"""
HAS_SETUPTOOLS = "dpkg-query -W -f='${db:Status-Status}' python3-setuptools 2>/dev/null; echo"


@pytest.fixture(scope="module")
def scratch_module(docker_client: Any) -> Iterator[Scratch]:
    with Scratch(docker_client) as scratch:
        yield scratch


def _squashed(scratch: Scratch, ctx: Path, cmd: str) -> tuple[str, Any]:
    """The squashed image of the template with ``cmd``, and the rewrite's report."""
    (ctx / "greeter").mkdir(parents=True)
    (ctx / "greeter" / "__init__.py").write_text("print('hello from greeter')\n")
    (ctx / "setup.py").write_text(SETUP_PY)
    (ctx / "Dockerfile").write_text(TEMPLATE.format(base=DEBIAN, cmd=cmd))
    result = rewrite(ctx / "Dockerfile", context=ctx, builder="classic")
    result.write()
    built = scratch.build(ctx, result.output_path.name, builder="classic")
    return built.image_id, result.report


def test_evidence_that_names_setup_py() -> None:
    assert python_build_scripts([]) == ["setup.py"]
    runs = [Evidence("Dockerfile:9 CMD", "python3 setup.py test")]
    assert python_build_scripts(runs) == []
    assert python_build_scripts([Evidence("Procfile", "web: python3 mysetup.py")]) == ["setup.py"]


def test_setuptools_goes_with_pip_when_only_the_build_ran_setup_py(
    scratch_module: Scratch, tmp_path: Path, docker_client: Any
) -> None:
    image, report = _squashed(scratch_module, tmp_path, '["python3", "-c", "import greeter"]')
    (pip,) = [p for p in report.packages if p.package == "python3-pip"]
    assert pip.purged
    status, out = scratch_module.run(image, ["sh", "-c", HAS_SETUPTOOLS], entrypoint=[])
    assert out.strip() != "installed", out
    status, out = scratch_module.run(image)
    assert status == 0 and "hello from greeter" in out, out
    original = scratch_module.build(tmp_path, "Dockerfile", builder="classic").image_id
    result = verify(original, image, client=docker_client, report=report)
    assert result.equivalent, [f"{d.change} {d.path}" for d in result.of("unexpected")]


def test_setuptools_stays_when_the_cmd_runs_setup_py(
    scratch_module: Scratch, tmp_path: Path
) -> None:
    image, _report = _squashed(scratch_module, tmp_path, '["python3", "setup.py", "--name"]')
    status, out = scratch_module.run(image, ["sh", "-c", HAS_SETUPTOOLS], entrypoint=[])
    assert out.strip() == "installed", out
    status, out = scratch_module.run(image)
    assert status == 0 and "greeter" in out, out
