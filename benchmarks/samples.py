"""What a benchmark sample is: ``samples/<name>/`` with a Dockerfile, a probe and a reference.

A sample may still be incomplete while it is being written (no ``probe``, no ``reference/``): it
is benchmarked as far as it goes and the missing pieces are recorded, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES_DIR = REPO / "samples"

# the samples whose builds take minutes each (big apt installs, pip/npm builds, toolchains)
SLOW = frozenset({"onelove", "python-psycopg2", "node-gyp", "go", "webapp", "node-build"})

# the order of a run: cheap first (they validate the harness), then the seed's own project
ORDER = (
    "seed",
    "interleaved",
    "busybox-user",
    "c-make",
    "c-libpq",
    "multistage",
    "assets",
    "onelove",
    "python-psycopg2",
    "go",
    "node-gyp",
    "webapp",
    "node-build",
)

# files that describe a sample rather than feed its build
_META = frozenset(
    {
        "Dockerfile",
        "README.md",
        "probe",
        "probe.original-fails",
        ".dockerignore",
        ".gitignore",
        "make-assets.sh",
    }
)
# which file a developer edits between two builds, by preference
_SOURCE_SUFFIXES = (".c", ".cc", ".go", ".js", ".py", ".h", ".conf", ".ini")
# where the rule above would pick a file developers seldom touch: the web application's views
# change far more often than its C extension
TOUCH = {"webapp": "webapp/views.py"}


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path

    @property
    def dockerfile(self) -> Path:
        return self.path / "Dockerfile"

    @property
    def readme(self) -> str:
        return _first_line(self.path / "README.md")

    @property
    def probe(self) -> str | None:
        """The shell command whose output proves an image works (None when missing)."""
        text = _first_line(self.path / "probe")
        return text or None

    @property
    def original_fails_with(self) -> str | None:
        """Text the original's failing probe prints, when the sample documents it as broken."""
        text = _first_line(self.path / "probe.original-fails")
        return text or None

    @property
    def reference(self) -> Path | None:
        ref = self.path / "reference"
        return ref if (ref / "Dockerfile").is_file() else None

    @property
    def slow(self) -> bool:
        return self.name in SLOW

    def missing(self) -> list[str]:
        """The pieces a complete sample has and this one lacks."""
        out = []
        if self.probe is None:
            out.append("probe")
        if self.reference is None:
            out.append("reference/Dockerfile")
        if not self.readme:
            out.append("README.md")
        return out

    def touch_file(self) -> str | None:
        """The context-relative file a warm rebuild changes: the first source file by preference."""
        return TOUCH.get(self.name) or choose_touch_file(self.path)


def _first_line(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""


def choose_touch_file(context: Path) -> str | None:
    """A file of the build context a developer would edit: source files first (by suffix
    preference, then shallowest, then name), else any other non-meta file; None when the
    context has none (the warm rebuild then changes nothing)."""
    candidates: list[str] = []
    for path in sorted(context.rglob("*")):
        rel = path.relative_to(context)
        if not path.is_file() or path.is_symlink():
            continue
        if rel.parts[0] in ("reference", ".squasher") or rel.name.startswith("Dockerfile"):
            continue
        if len(rel.parts) == 1 and rel.name in _META:
            continue
        candidates.append(rel.as_posix())

    def rank(rel: str) -> tuple[int, int, str]:
        suffix = Path(rel).suffix
        pref = (
            _SOURCE_SUFFIXES.index(suffix) if suffix in _SOURCE_SUFFIXES else len(_SOURCE_SUFFIXES)
        )
        return (pref, rel.count("/"), rel)

    return min(candidates, key=rank) if candidates else None


def discover(root: Path = SAMPLES_DIR) -> list[Sample]:
    """Every directory under ``root`` with a Dockerfile, in run order (unknown names last)."""
    found = [Sample(p.name, p) for p in sorted(root.iterdir()) if (p / "Dockerfile").is_file()]

    def order(sample: Sample) -> tuple[int, str]:
        pos = ORDER.index(sample.name) if sample.name in ORDER else len(ORDER)
        return (pos, sample.name)

    return sorted(found, key=order)


def select(
    samples: list[Sample], names: list[str] | None, *, skip_slow: bool
) -> tuple[list[Sample], list[str]]:
    """The samples to run and the requested names that do not exist."""
    chosen = samples
    unknown: list[str] = []
    if names:
        by_name = {s.name: s for s in samples}
        unknown = [n for n in names if n not in by_name]
        chosen = [by_name[n] for n in dict.fromkeys(names) if n in by_name]  # in the order given
    if skip_slow:
        chosen = [s for s in chosen if not s.slow]
    return chosen, unknown
