"""Property, checked against REAL builds: for generated ENV and ARG values — quotes, ``$``,
backslashes, newlines, unicode, references to earlier variables — the value a step of build.sh
sees equals the value Docker gives the RUN of the original Dockerfile.

Values are batched: one Dockerfile declares a few dozen variables (ENV words in Dockerfile syntax,
ARG defaults, and ARGs given raw with --build-arg), a single RUN writes each one's value,
NUL-terminated, to a file; the original and the squashed image are built with the same builder
and the files compared variable by variable. One example per builder keeps it to four builds
(hypothesis draws a fresh batch each run).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import BUSYBOX
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from squasher.engine import Scratch
from squasher.rewriting import rewrite

pytestmark = pytest.mark.engine

# balanced pieces of a Dockerfile word; {prev} is replaced by an earlier variable (or an unset one)
PIECES = [
    "abc",
    "é✓",
    "日本",
    "-_./:@%+,=",
    "\\ x",
    "\\$",
    "\\\\",
    '\\"',
    "\\'",
    "\\a",
    '"x y"',
    '"${prev}"',
    '"\\"q\\""',
    '"a\\$b"',
    '"a\\\\b"',
    '"tab\there"',
    '"it\'s"',
    "'$HOME \\ \"x\"'",
    "''",
    '""',
    "$prev",
    "${prev}",
    "${prev}z",
    "${UNDEF_XY:-dflt}",
    "${prev:-dflt}",
    "${prev:+set}",
    "${prev:-}",
    "$UNDEF_XY",
    "*",
    "~",
    "#",
]

word = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4)
raw_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=0,
    max_size=12,
) | st.sampled_from(["a\nb", "$HOME", "'\"", "\\", "\\n", "${X}", "é\r\n", " lead", "trail "])


@st.composite
def variables(
    draw: st.DrawFn,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, str]]:
    """(ENV name/word pairs, ARG name/default-word pairs, build-arg name/raw value)."""
    names: list[str] = []

    def fill(pieces: list[str]) -> str:
        out = []
        for p in pieces:
            prev = draw(st.sampled_from(names)) if names and draw(st.booleans()) else "UNDEF_XY"
            out.append(
                p.replace("{prev}", "{" + prev + "}")
                .replace("$prev", "$" + prev)
                .replace("${prev", "${" + prev)
            )
        return "".join(out).replace("{{", "{").replace("}}", "}")

    envs: list[tuple[str, str]] = []
    for i in range(draw(st.integers(18, 28))):
        text = fill(draw(word))
        envs.append((f"E{i}", text))
        names.append(f"E{i}")
    defaults: list[tuple[str, str]] = []
    for i in range(draw(st.integers(4, 8))):
        text = fill(draw(word))
        defaults.append((f"D{i}", text))
        names.append(f"D{i}")
    given_args = {f"B{i}": draw(raw_value) for i in range(draw(st.integers(6, 10)))}
    return envs, defaults, given_args


def _dockerfile(
    envs: list[tuple[str, str]], defaults: list[tuple[str, str]], given: dict[str, str]
) -> tuple[str, list[str]]:
    names = [n for n, _ in envs] + [n for n, _ in defaults] + list(given)
    lines = [f"FROM {BUSYBOX}"]
    # ENVs interleaved with ARGs, the way real Dockerfiles mix them
    lines += [f"ENV {n}={w}" for n, w in envs[: len(envs) // 2]]
    lines += [f"ARG {n}={w}" for n, w in defaults]
    lines += [f"ARG {n}" for n in given]
    lines += [f"ENV {n}={w}" for n, w in envs[len(envs) // 2 :]]
    loop = " ".join(names)
    lines.append(
        f'RUN for n in {loop}; do eval "printf \'%s\\\\0\' \\"\\${{$n}}\\""; done > /values'
    )
    lines.append("RUN true")
    return "\n".join(lines) + "\n", names


def _values(scratch: Scratch, image: str, names: list[str]) -> dict[str, str]:
    status, out = scratch.run(image, ["cat", "/values"])
    assert status == 0, out
    parts = out.split("\0")
    assert parts[-1] == "" and len(parts) == len(names) + 1, out
    return dict(zip(names, parts[:-1], strict=True))


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_values_seen_by_build_sh_equal_what_docker_gives_a_run(
    builder: str, docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    @settings(
        max_examples=1,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: each example is two real builds
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(variables())
    def check(spec: tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, str]]) -> None:
        envs, defaults, given_args = spec
        ctx = tmp_path_factory.mktemp("values")
        text, names = _dockerfile(envs, defaults, given_args)
        (ctx / "Dockerfile").write_text(text, encoding="utf-8")
        result = rewrite(ctx / "Dockerfile", builder=builder)
        result.write()
        tag = f"sq-values/{uuid.uuid4().hex[:12]}"
        with Scratch(docker_client) as scratch:
            original = scratch.build(ctx, "Dockerfile", given_args, f"{tag}:orig", builder=builder)  # type: ignore[arg-type]
            squashed = scratch.build(
                ctx, "Dockerfile.squashed", given_args, f"{tag}:sq", builder=builder
            )  # type: ignore[arg-type]
            want = _values(scratch, original.image_id, names)
            got = _values(scratch, squashed.image_id, names)
        wrong = {n: (want[n], got[n]) for n in names if want[n] != got[n]}
        assert not wrong, f"{builder}: (docker, build.sh) differ for {wrong}\n{text}"
        # folded: into a staged build.sh, or into the script a classic RUN carries inline
        scripts = [data for rel, data in result.files.items() if rel.endswith(".sh")]
        scripts.append(result.dockerfile.encode("utf-8"))
        assert any(b"> /values" in data for data in scripts), "the RUN was folded into build.sh"
        assert not any(line.startswith("RUN for n in") for line in result.dockerfile.splitlines())

    check()
