"""Golden files for ``--strategy stages``: the Dockerfile and the scripts of a few inputs
(tests/golden/stages/<case>/: the input, ``options.json`` for rewrite's keyword arguments, and
``expected/``). Regenerate after a reviewed change with
``SQUASHER_UPDATE_GOLDEN=1 pytest tests/test_stages_golden.py``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from squasher.rewriting import rewrite

GOLDEN = Path(__file__).parent / "golden" / "stages"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "Dockerfile").is_file())
UPDATE = os.environ.get("SQUASHER_UPDATE_GOLDEN") == "1"


def _stored(rel: str) -> str:
    # the repository ignores .squasher/ and Dockerfile.squashed: goldens use other names
    if rel == "Dockerfile.squashed":
        return "Dockerfile.squashed.txt"
    return rel.replace(".squasher/", "squasher-dir/", 1)


def _outputs(case: str, tmp_path: Path) -> dict[str, str]:
    src = GOLDEN / case
    ctx = tmp_path / case
    shutil.copytree(src, ctx, ignore=shutil.ignore_patterns("expected", "options.json"))
    opts = json.loads((src / "options.json").read_text()) if (src / "options.json").exists() else {}
    result = rewrite(ctx / "Dockerfile", strategy="stages", **opts)
    out = {_stored("Dockerfile.squashed"): result.dockerfile}
    for rel, data in result.files.items():
        if rel.endswith(".awk"):
            continue  # the same in every case: squasher/render/stages/delta.awk
        out[_stored(rel)] = data.decode()
    return out


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path) -> None:
    got = _outputs(case, tmp_path)
    expected_dir = GOLDEN / case / "expected"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in got.items():
            path = expected_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    want = {
        p.relative_to(expected_dir).as_posix(): p.read_text()
        for p in sorted(expected_dir.rglob("*"))
        if p.is_file()
    }
    assert got == want


def test_outputs_are_the_same_across_hash_seeds() -> None:
    """Every case's Dockerfile and scripts, from interpreters with different hash seeds."""
    from hashseed import outputs_across_hash_seeds

    code = (
        "import hashlib, json, tempfile\nfrom pathlib import Path\n"
        "from test_stages_golden import CASES, _outputs\n"
        "for case in CASES:\n"
        "    with tempfile.TemporaryDirectory() as tmp:\n"
        "        text = json.dumps(_outputs(case, Path(tmp)), sort_keys=True)\n"
        "        print(case, hashlib.sha256(text.replace(tmp, '<tmp>').encode()).hexdigest())\n"
    )
    first, *others = outputs_across_hash_seeds(code)
    assert len(first.splitlines()) == len(CASES)
    assert all(out == first for out in others)


@pytest.mark.parametrize("case", CASES)
def test_deterministic_and_idempotent(case: str, tmp_path: Path) -> None:
    assert _outputs(case, tmp_path / "a") == _outputs(case, tmp_path / "b")
    src = tmp_path / "c"
    shutil.copytree(GOLDEN / case, src, ignore=shutil.ignore_patterns("expected", "options.json"))
    result = rewrite(src / "Dockerfile", strategy="stages")
    result.write()
    again = rewrite(src / "Dockerfile.squashed", strategy="stages")
    assert again.report is not None and again.report.unchanged
    assert rewrite(src / "Dockerfile", strategy="stages").differences() == []


@pytest.mark.parametrize("case", CASES)
def test_scripts_pass_sh_n_and_shellcheck(case: str, tmp_path: Path) -> None:
    ctx = tmp_path / case
    shutil.copytree(GOLDEN / case, ctx, ignore=shutil.ignore_patterns("expected", "options.json"))
    result = rewrite(ctx / "Dockerfile", strategy="stages")
    scripts = [rel for rel in result.files if rel.endswith(".sh")]
    assert scripts
    for rel in scripts:
        path = tmp_path / rel.replace("/", "_")
        path.write_bytes(result.files[rel])
        for shell in ("dash", "sh"):
            if shutil.which(shell):
                proc = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
                assert proc.returncode == 0, proc.stderr
        if shutil.which("shellcheck"):
            proc = subprocess.run(
                ["shellcheck", "-s", "sh", "-S", "warning", str(path)],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 0, proc.stdout
