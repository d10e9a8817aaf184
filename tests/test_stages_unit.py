"""The stages form's logic without an engine: delta.awk over made-up listings (mawk and busybox
awk), the numeric ``--from`` shift, the target stage, refusals, the build-log summary."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import required_tools
from conftest import BUSYBOX

from squasher.errors import SquasherError
from squasher.parse import parse_text
from squasher.plan.base import BaseImage
from squasher.render.stages import REMOVE_SH, _shift_from, render_stages
from squasher.render.stages.delta import parse_delta_log
from squasher.render.stages.scripts import sh_file

AWKS = [a for a in (["mawk"], ["busybox", "awk"]) if shutil.which(a[0])]
DIR, FILE, LINK = "41ed", "81a4", "a1ff"


def _line(mode: str, path: str, *, uid: int = 0, size: int = 0, links: int = 1, ino: int = 1,
          ctime: int = 100, mtime: int = 100) -> str:  # fmt: skip
    return f"{mode} {uid} {uid} {size} {links} {ino} {ctime} {mtime} {path}"


BASE = [
    _line(DIR, "/"),
    _line(DIR, "/etc"),
    _line(FILE, "/etc/passwd", size=10, ino=2),
    _line(FILE, "/etc/kept", size=3, ino=3),
    _line(DIR, "/home"),
    _line(DIR, "/home/old"),
    _line(FILE, "/home/old/file", ino=4),
    _line(DIR, "/usr"),
    _line(DIR, "/usr/lib"),
    _line(DIR, "/var"),
    _line(DIR, "/var/log"),
]
FINAL = [
    _line(DIR, "/"),
    _line(DIR, "/app", uid=1000, mtime=150),
    _line(FILE, "/app/main.py", uid=1000, size=20, ino=10, ctime=150, mtime=150),
    _line(FILE, "/app/same", size=5, links=2, ino=11, ctime=150),
    _line(FILE, "/app/with space's", size=1, ino=12, ctime=150),
    _line(DIR, "/etc"),
    _line(FILE, "/etc/kept", size=3, ino=3),
    _line(FILE, "/etc/passwd", size=11, ino=20, ctime=150, mtime=150),
    _line("41c0", "/home"),  # mode 700 now
    _line(DIR, "/usr"),
    _line(DIR, "/usr/lib"),
    _line(FILE, "/usr/lib/libpq.so.5", size=300, ino=13, ctime=150),
    _line(DIR, "/usr/lib/python3"),
    _line(DIR, "/usr/lib/python3/site-packages"),
    _line(FILE, "/usr/lib/python3/site-packages/same", size=5, links=2, ino=11, ctime=150),
    _line(FILE, "/usr/lib/python3/site-packages/mod.py", size=7, ino=14, ctime=150),
    _line(LINK, "/usr/lib/libpq.so", size=10, ino=15, ctime=150),
    _line(DIR, "/var"),
    _line(DIR, "/var/log"),
    _line(FILE, "/var/log/dpkg.log", size=50, ino=16, ctime=300, mtime=300),
]


def _run_awk(awk: list[str], tmp_path: Path) -> tuple[str, str]:
    base, final, owned = tmp_path / "base", tmp_path / "final", tmp_path / "owned"
    base.write_text("\n".join(BASE) + "\n")
    final.write_text("\n".join(FINAL) + "\n")
    owned.write_text("/usr/lib/libpq.so.5\n/usr/lib/libpq.so\n")
    program = tmp_path / "delta.awk"
    program.write_text(sh_file("delta.awk"))
    summary = tmp_path / "summary"
    variables = {
        "owned": owned, "since": 200, "epoch": 315532800, "delta": "/D",
        "removals": "/D/application/.squasher-remove", "summary": summary,
    }  # fmt: skip
    argv = [*awk, *[f"-v{k}={v}" for k, v in variables.items()], "-f", str(program)]
    proc = subprocess.run(
        [*argv, str(base), str(final)], capture_output=True, text=True, check=True
    )
    return proc.stdout, summary.read_text()


def _has(script: str, command: str, arg: str, tail: str = "") -> bool:
    """Whether a (batched) line ``command ... arg ... tail`` is in the script."""
    return any(
        line.startswith(command + " ") and f" {arg}" in line and line.endswith(tail)
        for line in script.splitlines()
    )


@pytest.mark.parametrize("awk", AWKS, ids=[a[0] for a in AWKS])
def test_delta_awk_lays_out_the_changes(awk: list[str], tmp_path: Path) -> None:
    script, summary = _run_awk(awk, tmp_path)
    # new and changed files, linked into their layer's tree; the unchanged base file is not
    assert "ln -- '/usr/lib/libpq.so.5' '/usr/lib/libpq.so' '/D/packages/usr/lib/'" in script
    assert "ln -- '/etc/passwd' '/D/application/etc/'" in script
    assert "'/app/with space'\\''s'" in script
    assert "/etc/kept" not in script
    # a hard-linked inode goes whole into the most often changing layer, linked to the first
    assert (
        "ln -- '/D/application/app/same' '/D/application/usr/lib/python3/site-packages/same'"
        in (script)
    )
    assert "ln -- '/usr/lib/python3/site-packages/mod.py' '/D/libraries/" in script
    # a directory whose mode changed is in the delta with it; parents get the build's metadata
    assert _has(script, "chmod 00700 --", "'/D/application/home'")
    assert _has(script, "chown 1000:1000 --", "'/D/application/app'")
    assert _has(script, "chmod 00755 --", "'/D/packages/usr/lib'")
    # what the final step wrote gets the fixed time; an own directory keeps its time, a parent
    # only there for what it holds gets the fixed time
    assert _has(script, "touch -h -d @315532800 --", "'/D/application/var/log/dpkg.log'")
    assert _has(script, "touch -h -d @150 --", "'/D/application/app'")
    assert _has(script, "touch -h -d @315532800 --", "'/D/packages/usr/lib'")
    assert not _has(script, "touch -h -d @100 --", "'/D/application/app/main.py'")
    # removals: the topmost removed path only, as an empty file of the list
    removals = "/D/application/.squasher-remove"
    assert f"mkdir -p -- '{removals}/home' && : > '{removals}/home/old'" in script
    assert "/home/old/file" not in script
    assert _has(script, "touch -h -d @315532800 --", f"'{removals}/home/old'")
    assert _has(script, "mkdir -p --", "'/D/libraries/.squasher-layers/libraries'")
    report = parse_delta_log(summary)
    assert report is not None and report.removed == ["/home/old"]
    by_layer = {layer.layer: (layer.files, layer.bytes) for layer in report.layers}
    assert by_layer == {
        "packages": (2, 300),
        "libraries": (1, 7),
        "application": (6, 20 + 5 + 1 + 11 + 50),
    }


@pytest.mark.parametrize("awk", AWKS, ids=[a[0] for a in AWKS])
def test_a_state_file_rewritten_with_the_base_bytes_is_the_base_s(
    awk: list[str], tmp_path: Path
) -> None:
    templates, status = "/var/cache/debconf/templates.dat", "/var/lib/dpkg/status"
    base = [
        _line(DIR, "/"),
        _line(FILE, "/etc/same", size=4, ino=2),
        _line(DIR, "/var"),
        _line(DIR, "/var/cache"),
        _line(DIR, "/var/cache/debconf"),
        _line(FILE, templates, size=9, ino=3),
        _line(DIR, "/var/lib"),
        _line(DIR, "/var/lib/dpkg"),
        _line(FILE, status, size=8, ino=4),
        _line(FILE, "/var/lib/dpkg/lock", size=0, ino=5, mtime=90),
    ]
    final = [
        _line(DIR, "/"),
        _line(FILE, "/etc/same", size=4, ino=20, ctime=150),  # not a state file: in the delta
        _line(DIR, "/var"),
        _line(DIR, "/var/cache"),
        _line(DIR, "/var/cache/debconf"),
        _line(FILE, templates, size=9, ino=21, ctime=150, mtime=150),  # the same bytes
        _line(DIR, "/var/lib"),
        _line(DIR, "/var/lib/dpkg"),
        _line(FILE, status, size=8, ino=22, ctime=150, mtime=150),  # other bytes, same size
        _line("8180", "/var/lib/dpkg/lock", size=0, ino=5, ctime=150),  # mode 600 now
    ]
    sums = {
        "base": ["111 9 " + templates, "222 8 " + status, "4294967295 0 /var/lib/dpkg/lock"],
        "final": ["111 9 " + templates, "333 8 " + status, "4294967295 0 /var/lib/dpkg/lock"],
    }
    for name, lines in (("base", base), ("final", final)):
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        (tmp_path / f"{name}.sums").write_text("\n".join(sums[name]) + "\n")
    (tmp_path / "owned").write_text("")
    program = tmp_path / "delta.awk"
    program.write_text(sh_file("delta.awk"))
    variables = {
        "owned": tmp_path / "owned", "since": 200, "epoch": 315532800, "delta": "/D",
        "removals": "/D/application/.squasher-remove", "summary": tmp_path / "summary",
        "base_sums": tmp_path / "base.sums", "final_sums": tmp_path / "final.sums",
    }  # fmt: skip
    argv = [*awk, *[f"-v{k}={v}" for k, v in variables.items()], "-f", str(program)]
    script = subprocess.run(
        [*argv, str(tmp_path / "base"), str(tmp_path / "final")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert templates not in script  # rewritten with the base's bytes: the base's file
    assert _has(script, "ln --", f"'{status}'", " '/D/packages/var/lib/dpkg/'")
    assert _has(script, "ln --", "'/var/lib/dpkg/lock'")  # same bytes, another mode: changed
    assert _has(script, "ln --", "'/etc/same'", " '/D/application/etc/'")


@pytest.mark.parametrize("awk", AWKS, ids=[a[0] for a in AWKS])
def test_delta_awk_script_is_valid_sh(awk: list[str], tmp_path: Path) -> None:
    script, _summary = _run_awk(awk, tmp_path)
    path = tmp_path / "check.sh"
    path.write_text(script)
    subprocess.run(["sh", "-n", str(path)], check=True)


def test_shift_from_moves_the_target_and_later_indexes() -> None:
    lines = [
        "COPY --from=0 /a /a",
        "COPY --from=1 /b /b",
        "RUN --mount=type=bind,from=2,target=/m x",
        "RUN tool --from=1 from=2 > /out",  # a command's own words: never renumbered
    ]
    insts = parse_text("FROM busybox\n" + "\n".join(lines) + "\n").stages[0].instructions
    assert [_shift_from(inst, line, 1) for inst, line in zip(insts, lines, strict=True)] == [
        "COPY --from=0 /a /a",
        "COPY --from=2 /b /b",
        "RUN --mount=type=bind,from=3,target=/m x",
        "RUN tool --from=1 from=2 > /out",
    ]
    assert _shift_from(insts[1], lines[1], None, added=1) == "COPY --from=2 /b /b"


def _render(text: str, **kwargs: object) -> str:
    df = parse_text(text, "Dockerfile")
    return render_stages(
        df,
        name="Dockerfile",
        output_name="Dockerfile.squashed",
        marker="# m ",
        **kwargs,  # type: ignore[arg-type]
    ).dockerfile


def test_refuses_scratch_and_a_base_without_sh() -> None:
    with pytest.raises(SquasherError, match="Dockerfile:1: FROM scratch"):
        _render("FROM scratch\nCOPY a /a\n")
    with pytest.raises(SquasherError, match=r"Dockerfile:1: .*no /bin/sh"):
        _render("FROM distroless\nCOPY a /a\n", base_info=lambda ref: BaseImage(ref, has_sh=False))
    with pytest.raises(SquasherError, match="no stage named 'nope'"):
        _render(f"FROM {BUSYBOX}\nRUN true\n", target="nope")


def test_a_base_user_is_switched_to_root_and_back() -> None:
    text = _render("FROM app-base\nRUN make\n", base_info=lambda ref: BaseImage(ref, user="app"))
    build, final = text.split("\n\n", 2)[1:]
    assert build.count("USER root") == 2 and "USER app" in build
    assert final.splitlines()[-3:] == [
        "USER root",
        f"RUN {json.dumps(['/bin/sh', '-c', REMOVE_SH])}",
        "USER app",
    ]


def test_final_stage_keeps_only_metadata_in_order() -> None:
    text = _render(
        f"FROM {BUSYBOX} AS app\nARG V=1\nENV A=$V\nRUN echo\nCOPY x /x\nUSER nobody\n"
        'WORKDIR /w\nLABEL a=b\nEXPOSE 80\nVOLUME /data\nSTOPSIGNAL SIGINT\nCMD ["x"]\n'
    )
    final = text.split(f"FROM {BUSYBOX} AS app\n", 1)[1]
    assert final.splitlines()[4:] == [
        "ARG V=1",
        "ENV A=$V",
        "USER nobody",
        "WORKDIR /w",
        "LABEL a=b",
        "EXPOSE 80",
        "VOLUME /data",
        "STOPSIGNAL SIGINT",
        'CMD ["x"]',
    ]
    assert f"FROM {BUSYBOX} AS app-squasher-build" in text


def test_final_stage_keeps_only_the_workdirs_that_decide_the_last() -> None:
    """A WORKDIR that a later absolute one replaces is left out of the final stage (it would
    create its directory again, even one the build removed); relative ones after the last
    absolute one stay, and a value that names an ARG is not known to be absolute."""
    df = parse_text(
        f"FROM {BUSYBOX}\n"
        "ENV APP=/opt/app\n"
        "WORKDIR $APP\n"
        "WORKDIR /tmp/build\n"
        "RUN rm -rf /tmp/build\n"
        "WORKDIR ${APP}/data\n"
        "WORKDIR sub\n"
        "ARG REL=x\n"
        "WORKDIR $REL\n"
        "CMD pwd\n"
    )
    text = render_stages(df, name="Dockerfile", output_name="Dockerfile.squashed", marker="# ")
    final = text.dockerfile.split("\nFROM ")[-1]
    assert [line for line in final.splitlines() if line.startswith("WORKDIR")] == [
        "WORKDIR ${APP}/data",
        "WORKDIR sub",
        "WORKDIR $REL",
    ]
    # an ARG of the same name does not replace the ENV's value
    df = parse_text(f"FROM {BUSYBOX}\nENV D=/a\nARG D\nWORKDIR /b\nWORKDIR $D\n")
    final = render_stages(df, name="Dockerfile", output_name="o", marker="# ").dockerfile
    assert "WORKDIR /b" not in final.split("\nFROM ")[-1]


STAGES_DIR = Path(__file__).parent.parent / "squasher" / "render" / "stages"


def test_fragments_are_shellchecked_as_files_and_ship_without_the_directive() -> None:
    fragments = sorted(STAGES_DIR.glob("*.sh"))
    assert fragments
    for path in fragments:
        assert path.read_text().startswith("# shellcheck shell=sh\n"), path.name
        assert not sh_file(path.name).startswith("# shellcheck"), path.name
    exe = required_tools.require("shellcheck")
    proc = subprocess.run([exe, *map(str, fragments)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_one_standard_path() -> None:
    """The runtime's, the stages scripts' and verify's standard PATH are the one constant."""
    from squasher.inspect.verify_config import DEFAULT_PATH
    from squasher.render.runtime import helpers
    from squasher.util.standard_path import STANDARD_PATH, STANDARD_PATH_MARK

    assert DEFAULT_PATH == STANDARD_PATH
    assert f"__sq_std_path={STANDARD_PATH}\n" in helpers()["__sq_standard_path"].text
    df = parse_text(f"FROM {BUSYBOX}\nRUN true\n")
    out = render_stages(df, name="Dockerfile", output_name="o", marker="# ")
    end = next(text for rel, text in out.files.items() if rel.endswith("end.sh"))
    assert f"PATH={STANDARD_PATH}\n" in end
    assert all(STANDARD_PATH_MARK not in text for text in out.files.values())
    for name in ("base.sh", "copy.sh", "steps.sh"):
        raw = (STAGES_DIR.parent / "runtime" / name).read_text()
        assert STANDARD_PATH not in raw, name  # written once, in squasher.util


@pytest.mark.parametrize("awk", AWKS, ids=[a[0] for a in AWKS])
def test_delta_awk_puts_generated_files_with_what_they_come_from(
    awk: list[str], tmp_path: Path
) -> None:
    """A compiled module goes into its source's layer, a command a pip package's RECORD lists
    into the libraries, the CA bundle install scripts make into the packages; the application
    keeps only its own files."""
    base_lines = [_line(DIR, "/"), _line(DIR, "/usr"), _line(DIR, "/etc")]
    final_lines = [
        _line(DIR, "/"),
        _line(DIR, "/app", ino=30),
        _line(FILE, "/app/main.py", size=5, ino=31),
        _line(DIR, "/app/__pycache__", ino=32),
        _line(FILE, "/app/__pycache__/main.cpython-311.pyc", size=9, ino=33),
        _line(DIR, "/etc"),
        _line(DIR, "/etc/ssl", ino=34),
        _line(DIR, "/etc/ssl/certs", ino=35),
        _line(FILE, "/etc/ssl/certs/ca-certificates.crt", size=99, ino=36),
        _line(DIR, "/usr"),
        _line(DIR, "/usr/lib", ino=37),
        _line(DIR, "/usr/lib/python3.11", ino=38),
        _line(FILE, "/usr/lib/python3.11/typing.py", size=50, ino=39),
        _line(DIR, "/usr/lib/python3.11/__pycache__", ino=40),
        _line(FILE, "/usr/lib/python3.11/__pycache__/typing.cpython-311.pyc", size=60, ino=41),
        _line(DIR, "/usr/local", ino=42),
        _line(DIR, "/usr/local/bin", ino=43),
        _line(FILE, "/usr/local/bin/uwsgi", size=70, ino=44),
    ]
    base, final = tmp_path / "base", tmp_path / "final"
    owned, libraries = tmp_path / "owned", tmp_path / "libraries"
    base.write_text("\n".join(base_lines) + "\n")
    final.write_text("\n".join(final_lines) + "\n")
    owned.write_text("/usr/lib/python3.11/typing.py\n")
    libraries.write_text("/usr/local/bin/uwsgi\n")
    program = tmp_path / "delta.awk"
    program.write_text(sh_file("delta.awk"))
    variables = {
        "owned": owned, "libraries": libraries, "since": 200, "epoch": 315532800,
        "delta": "/D", "removals": "/D/application/.squasher-remove",
        "summary": tmp_path / "summary",
    }  # fmt: skip
    argv = [*awk, *[f"-v{k}={v}" for k, v in variables.items()], "-f", str(program)]
    script = subprocess.run(
        [*argv, str(base), str(final)], capture_output=True, text=True, check=True
    ).stdout
    links = [line for line in script.splitlines() if line.startswith("ln -- ")]

    def layer_of(path: str) -> str:
        hit = [line for line in links if f"'{path}'" in line]
        assert len(hit) == 1, (path, links)
        return hit[0].rsplit(" ", 1)[1].split("/")[2]

    assert layer_of("/usr/lib/python3.11/__pycache__/typing.cpython-311.pyc") == "packages"
    assert layer_of("/etc/ssl/certs/ca-certificates.crt") == "packages"
    assert layer_of("/usr/local/bin/uwsgi") == "libraries"
    assert layer_of("/app/__pycache__/main.cpython-311.pyc") == "application"
    assert layer_of("/app/main.py") == "application"


def test_whole_context_copy_reads_squashers_copy_and_indexes_follow(tmp_path: Path) -> None:
    """A ``COPY . <dir>`` of any stage reads the context stage put in front; numeric stage
    references count it (and the target's build stage), an ONBUILD trigger's do not."""
    from squasher.rewriting import rewrite

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x\n")
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS builder\nRUN echo a > /a\n"
        "FROM busybox AS app\nCOPY . /src/\nCOPY --from=0 /a /a\n"
        "FROM busybox\nCOPY --from=1 /src /both\nCOPY --from=0 /a /a2\n"
        "RUN --mount=type=bind,from=1,target=/m true\nONBUILD COPY --from=0 /x /x\n"
    )
    result = rewrite(tmp_path / "Dockerfile", strategy="stages", target="app")
    text = result.dockerfile
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages == [
        "FROM scratch AS squasher-context",
        "FROM busybox AS builder",
        "FROM busybox AS app-squasher-build",
        "FROM busybox AS app",
        "FROM busybox",
    ]
    assert 'COPY ["d", "/d/"]\nCOPY ["Dockerfile", "a.txt", "/"]\n' in text
    assert "COPY --from=squasher-context . /src/\nCOPY --from=1 /a /a\n" in text
    assert "COPY --from=3 /src /both\nCOPY --from=1 /a /a2\n" in text
    assert "RUN --mount=type=bind,from=3,target=/m true\nONBUILD COPY --from=0 /x /x\n" in text
    assert ".squasher/context.tar" in result.files
    assert result.report is not None and not result.report.warnings
    assert rewrite(tmp_path / "Dockerfile", strategy="stages", target="app").dockerfile == text


def test_add_of_a_wildcard_keeps_reading_the_context_and_warns(tmp_path: Path) -> None:
    from squasher.rewriting import rewrite

    (tmp_path / "a.tar").write_bytes(b"")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nADD *.tar /opt/\n")
    result = rewrite(tmp_path / "Dockerfile", strategy="stages")
    assert "squasher-context" not in result.dockerfile
    assert ".squasher/context.tar" not in result.files
    assert result.report is not None
    assert [w for w in result.report.warnings if "Dockerfile:2: ADD" in w]


@pytest.mark.parametrize("awk", AWKS, ids=[a[0] for a in AWKS])
def test_delta_awk_gives_a_large_copy_what_it_placed_and_nothing_changed_since(
    awk: list[str], tmp_path: Path
) -> None:
    """copy-7.lines holds what the COPY on line 7 placed: a path whose final line is the same
    goes into that COPY's layer (with its parents), one changed since goes to the application,
    and a later COPY's line for the same path wins."""
    tile = _line(FILE, "/srv/assets/tile.bin", size=4096, ino=50, ctime=120, mtime=90)
    index = _line(FILE, "/srv/assets/index.txt", size=10, ino=51, ctime=120, mtime=90)
    again = _line(FILE, "/srv/assets/again.txt", size=3, ino=52, ctime=130, mtime=90)
    base_lines = [_line(DIR, "/")]
    final_lines = [
        _line(DIR, "/"),
        _line(DIR, "/srv", ino=48, ctime=160),
        _line(DIR, "/srv/assets", ino=49, ctime=120, mtime=90),
        again,
        _line(FILE, "/srv/assets/index.txt", size=12, ino=51, ctime=160, mtime=160),
        tile,
    ]
    state = tmp_path / "state"
    state.mkdir()
    (state / "copy-7.lines").write_text(
        "\n".join([_line(DIR, "/srv/assets", ino=49, ctime=120, mtime=90), tile, index]) + "\n"
    )
    (state / "copy-9.lines").write_text(again + "\n")
    base, final = tmp_path / "base", tmp_path / "final"
    base.write_text("\n".join(base_lines) + "\n")
    final.write_text("\n".join(final_lines) + "\n")
    program = tmp_path / "delta.awk"
    program.write_text(sh_file("delta.awk"))
    summary = tmp_path / "summary"
    variables = {
        "since": 200, "epoch": 315532800, "delta": "/D", "copies": "7 9", "state": state,
        "removals": "/D/application/.squasher-remove", "summary": summary,
    }  # fmt: skip
    argv = [*awk, *[f"-v{k}={v}" for k, v in variables.items()], "-f", str(program)]
    script = subprocess.run(
        [*argv, str(base), str(final)], capture_output=True, text=True, check=True
    ).stdout
    assert _has(script, "ln --", "'/srv/assets/tile.bin'", " '/D/copy-7/srv/assets/'")
    assert _has(script, "ln --", "'/srv/assets/again.txt'", " '/D/copy-9/srv/assets/'")
    assert _has(script, "ln --", "'/srv/assets/index.txt'", " '/D/application/srv/assets/'")
    # the COPY's own directory keeps its time there; /srv, changed since, is a parent only
    assert _has(script, "touch -h -d @90 --", "'/D/copy-7/srv/assets'")
    assert _has(script, "touch -h -d @315532800 --", "'/D/copy-7/srv'")
    assert _has(script, "touch -h -d @100 --", "'/D/application/srv'")
    assert _has(script, "mkdir -p --", "'/D/copy-9/.squasher-layers/copy-9'")
    report = parse_delta_log(summary.read_text())
    assert report is not None
    assert [(layer.layer, layer.files, layer.bytes) for layer in report.layers] == [
        ("packages", 0, 0),
        ("libraries", 0, 0),
        ("copy-7", 1, 4096),
        ("copy-9", 1, 3),
        ("application", 1, 12),
    ]


def test_large_copies_are_marked_as_root_and_get_their_layers() -> None:
    """Around each large COPY the build stage records what it placed, as root, the USER in
    force given back after; the final stage copies each one's layer between the libraries and
    the application."""
    text = _render(
        f"FROM {BUSYBOX}\nUSER app\nCOPY a /a\nUSER root\nCOPY b /b\nCOPY c /c\n",
        large_copies={3, 5},
    )
    build, final = text.split("\n\nFROM ")[1], text.split("\n\nFROM ")[-1]
    assert (
        "COPY .squasher/stage-0/begin.sh .squasher/stage-0/mark-copy.sh /.squasher-stages/" in build
    )
    mark = 'RUN ["/bin/sh", "/.squasher-stages/mark-copy.sh", "{}", "{}"]'
    assert (
        f"USER app\nUSER root\n{mark.format('before', 3)}\nUSER app\nCOPY a /a\n"
        f"USER root\n{mark.format('after', 3)}\nUSER app\nUSER root\n"
        f"{mark.format('before', 5)}\nCOPY b /b\n{mark.format('after', 5)}\nCOPY c /c\n"
    ) in build
    copies = [line for line in final.splitlines() if line.startswith("COPY --from=")]
    assert [c.split()[2].split("/")[2] for c in copies] == [
        "packages", "libraries", "copy-3", "copy-5", "application",
    ]  # fmt: skip
    plain = _render(f"FROM {BUSYBOX}\nCOPY a /a\n")
    assert "mark-copy" not in plain and "copy-" not in plain


def test_a_copy_is_large_from_one_mebibyte_of_the_context(tmp_path: Path) -> None:
    from squasher.rewriting.stages import OWN_LAYER_BYTES, large_context_copies

    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "f").write_bytes(b"x" * OWN_LAYER_BYTES)
    (tmp_path / "small").write_bytes(b"x" * (OWN_LAYER_BYTES - 1))
    (tmp_path / ".dockerignore").write_text("big/ignored\n")
    (tmp_path / "big" / "ignored").write_bytes(b"x" * OWN_LAYER_BYTES)
    df = parse_text(
        f"FROM {BUSYBOX}\nCOPY big /big\nCOPY small /small\nCOPY --from=0 /x /x\n"
        "ADD http://example.invalid/f /f\nCOPY sm* /s/\n"
    )
    # a wildcard counts as the whole context
    assert large_context_copies(df.stages[0].instructions, tmp_path) == [2, 6]
