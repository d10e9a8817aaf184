"""Golden input -> output pairs for the rewrite (one directory per rule under tests/golden/rewrite).

Each directory holds the input ``Dockerfile`` (and the context files it reads), optionally
``options.json`` (``builder``, ``strategy``), and the expected output:

- ``expected/Dockerfile.squashed.txt`` and ``expected/squasher-dir/<stage>/build.sh`` (the
  repository ignores the real names) for each generated file; in the
  runtime (``squasher-dir/runtime.sh``) the helpers of squasher/render/runtime/*.sh (tested in
  tests/test_script_runtime.py) are shown by name only, the functions the hooks added in full;
- or ``expected/refused.txt``: the error message, for inputs that must be refused.

Regenerate after a reviewed change with ``SQUASHER_UPDATE_GOLDEN=1 pytest tests/test_rewrite_golden.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import required_tools

from squasher.errors import SquasherError
from squasher.rewriting import rewrite

GOLDEN = Path(__file__).parent / "golden" / "rewrite"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "Dockerfile").is_file())
UPDATE = os.environ.get("SQUASHER_UPDATE_GOLDEN") == "1"


def summarize_runtime(text: str) -> str:
    """runtime.sh with each helper of squasher/render/runtime/*.sh shown by name only (they are
    tested in tests/test_script_runtime.py): the golden shows which helpers a rewrite ships and,
    in full, the functions the hooks added (the package layer's prologue and epilogue)."""
    from squasher.render.runtime import helpers

    for helper in helpers().values():
        text = text.replace(helper.text, f"# <runtime helper {helper.name}>")
    return text


def summarize_inline_runtime(dockerfile: str) -> str:
    """Dockerfile.squashed with the helpers of the scripts that run inline (in the JSON text of
    their RUN) shown by name only, as ``summarize_runtime`` does for runtime.sh."""
    from squasher.render.dockerfile import inline_run_line
    from squasher.render.runtime import helpers

    def encoded(text: str) -> str:
        line = inline_run_line(text + "\n")
        assert line is not None
        return line.removeprefix('RUN ["/bin/sh", "-c", "').removesuffix('\\\n\\n"]\n')

    for helper in helpers().values():
        dockerfile = dockerfile.replace(
            encoded(helper.text), encoded(f"# <runtime helper {helper.name}>")
        )
    return dockerfile


def _outputs(case: str, tmp_path: Path) -> dict[str, str]:
    src = GOLDEN / case
    ctx = tmp_path / case
    shutil.copytree(src, ctx, ignore=shutil.ignore_patterns("expected", "options.json"))
    opts = json.loads((src / "options.json").read_text()) if (src / "options.json").exists() else {}
    try:
        result = rewrite(ctx / "Dockerfile", **opts)
    except SquasherError as err:
        assert not any(ctx.glob("Dockerfile.squashed*")), "a refused rewrite wrote something"
        return {"refused.txt": str(err).replace(str(ctx) + "/", "") + "\n"}
    out = {stored_name("Dockerfile.squashed"): summarize_inline_runtime(result.dockerfile)}
    for rel, data in result.files.items():
        text = data.decode()
        out[stored_name(rel)] = summarize_runtime(text) if rel.endswith("runtime.sh") else text
    return out


def stored_name(rel: str) -> str:
    """Where an output is kept under expected/: the repository ignores ``.squasher/`` and
    ``Dockerfile.squashed`` (users' generated files), so goldens use other names."""
    if rel == "Dockerfile.squashed":
        return "Dockerfile.squashed.txt"
    return rel.replace(".squasher/", "squasher-dir/", 1)


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


def _assert_refused(case: str, tmp_path: Path) -> None:
    """The rewrite of ``case`` raises the golden refusal, names the line, and writes nothing."""
    want = (GOLDEN / case / "expected" / "refused.txt").read_text().strip()
    ctx = tmp_path / case
    shutil.copytree(GOLDEN / case, ctx, ignore=shutil.ignore_patterns("expected", "options.json"))
    with pytest.raises(SquasherError) as err:
        rewrite(ctx / "Dockerfile")
    assert str(err.value).replace(str(ctx) + "/", "") == want
    assert err.value.line is not None
    assert sorted(p.name for p in ctx.iterdir()) == sorted(
        p.name for p in (GOLDEN / case).iterdir() if p.name not in ("expected", "options.json")
    )


@pytest.mark.parametrize("case", CASES)
def test_deterministic_and_idempotent(case: str, tmp_path: Path) -> None:
    first = _outputs(case, tmp_path / "a")
    second = _outputs(case, tmp_path / "b")
    assert first == second
    if "refused.txt" in first:
        _assert_refused(case, tmp_path / "refused")
        return
    src = tmp_path / "c"
    shutil.copytree(GOLDEN / case, src, ignore=shutil.ignore_patterns("expected", "options.json"))
    opts = (
        json.loads((GOLDEN / case / "options.json").read_text())
        if (GOLDEN / case / "options.json").exists()
        else {}
    )
    result = rewrite(src / "Dockerfile", **opts)
    result.write()
    again = rewrite(src / "Dockerfile.squashed", **opts)
    assert again.report is not None and again.report.unchanged
    assert again.dockerfile == result.dockerfile
    assert again.differences() == []
    assert rewrite(src / "Dockerfile", **opts).differences() == []


def test_rewrites_are_the_same_across_hash_seeds() -> None:
    """Every case's outputs and report, from interpreters with different hash seeds: an order
    taken from a set or a dict of strings would differ between them."""
    from hashseed import outputs_across_hash_seeds

    code = (
        "import hashlib, json, tempfile\nfrom pathlib import Path\n"
        "from test_rewrite_golden import CASES, GOLDEN, _outputs\n"
        "from squasher.rewriting import rewrite\n"
        "for case in CASES:\n"
        "    with tempfile.TemporaryDirectory() as tmp:\n"
        "        out = _outputs(case, Path(tmp) / 'a')\n"
        "        opts = GOLDEN / case / 'options.json'\n"
        "        report = None\n"
        "        if 'refused.txt' not in out:\n"
        "            import shutil\n"
        "            ctx = Path(tmp) / 'b'\n"
        "            shutil.copytree(GOLDEN / case, ctx, ignore=shutil.ignore_patterns('expected'))\n"
        "            kw = json.loads(opts.read_text()) if opts.exists() else {}\n"
        "            report = rewrite(ctx / 'Dockerfile', **kw).report.to_dict()\n"
        "        text = json.dumps([out, report], sort_keys=True).replace(tmp, '<tmp>')\n"
        "        print(case, hashlib.sha256(text.encode()).hexdigest())\n"
    )
    first, *others = outputs_across_hash_seeds(code)
    assert len(first.splitlines()) == len(CASES)
    assert all(out == first for out in others)


@pytest.mark.parametrize("case", CASES)
def test_scripts_pass_sh_n_and_shellcheck(case: str, tmp_path: Path) -> None:
    got = _outputs(case, tmp_path)
    src = GOLDEN / case
    opts = json.loads((src / "options.json").read_text()) if (src / "options.json").exists() else {}
    if "refused.txt" in got:
        _assert_refused(case, tmp_path / "refused")
        return
    exe = required_tools.shellcheck()
    ctx = tmp_path / "full"
    shutil.copytree(src, ctx, ignore=shutil.ignore_patterns("expected", "options.json"))
    result = rewrite(ctx / "Dockerfile", **opts)
    from test_inline_script import inline_scripts

    scripts = {rel: data for rel, data in result.files.items() if rel.endswith(".sh")}
    for i, text in enumerate(inline_scripts(result.dockerfile)):
        scripts[f"inline-{i}.sh"] = text.encode()
    for rel, data in scripts.items():
        path = tmp_path / rel.replace("/", "_")
        path.write_bytes(data)
        for shell in ("dash", "sh"):
            if shutil.which(shell):
                proc = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
                assert proc.returncode == 0, proc.stderr
        if exe is not None:
            proc = subprocess.run(
                [exe, "-s", "sh", "-S", "warning", str(path)],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 0, proc.stdout


# hadolint rules the rewritten Dockerfile may break although the original does not (see the
# docstring of squasher.report.rewrite): consecutive RUNs next to an instruction that must stay.
DELIBERATE_HADOLINT = {"DL3059"}


def _hadolint_codes(exe: str, path: Path) -> set[str] | None:
    """Rule codes hadolint reports, or None when it cannot parse the file (heredocs)."""
    proc = subprocess.run(
        [exe, "--no-fail", "--format", "json", str(path)], capture_output=True, text=True
    )
    codes = {item["code"] for item in json.loads(proc.stdout or "[]")}
    return None if "DL1000" in codes else codes  # DL1000: hadolint's own parse error


@pytest.mark.parametrize("case", CASES)
def test_hadolint_finds_nothing_new(case: str, tmp_path: Path) -> None:
    expected = GOLDEN / case / "expected" / "Dockerfile.squashed.txt"
    if not expected.exists():  # nothing to lint: the rewrite refuses the input
        _assert_refused(case, tmp_path)
        return
    exe = required_tools.require("hadolint")
    squashed = _hadolint_codes(exe, expected)
    assert squashed is not None, "hadolint cannot parse the squashed Dockerfile"
    original = _hadolint_codes(exe, GOLDEN / case / "Dockerfile")
    if original is None:  # hadolint cannot read heredocs; the squashed file has none left
        original = {"DL3007"}
    assert squashed - original <= DELIBERATE_HADOLINT
