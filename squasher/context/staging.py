"""What a staging COPY of the context carries, and which context files look like secrets."""

from __future__ import annotations

import os
import re
from pathlib import Path

from squasher.context.dockerignore import DockerIgnore
from squasher.context.sources import GENERATED_DIR


def staged_context_files(context: Path, paths: list[str]) -> list[tuple[str, int]]:
    """The context files under ``paths`` the builder sends (after .dockerignore), with their
    sizes, sorted by path; squasher's own scripts left out (they are counted from what the
    rewrite writes)."""
    ignore = DockerIgnore.load(context)
    found: dict[str, int] = {}
    for rel in paths:
        full = context / rel if rel != "." else context
        if full.is_file():
            found[Path(rel).as_posix().strip("/")] = full.stat().st_size
        elif full.is_dir():
            for root, _dirs, names in os.walk(full):
                for name in names:
                    p = Path(root) / name
                    r = p.relative_to(context).as_posix()
                    if r.startswith(GENERATED_DIR + "/"):
                        continue  # the scripts are counted from what this rewrite writes
                    if not ignore.excluded(r) and p.is_file():
                        found[r] = p.stat().st_size
    return sorted(found.items())


def staged_context_bytes(context: Path, paths: list[str]) -> int:
    """Bytes of the context files under ``paths`` the builder sends (after .dockerignore),
    squasher's own scripts left out (they are counted from what the rewrite writes)."""
    return sum(size for _path, size in staged_context_files(context, paths))


# ARG names that look like they carry a secret (the words BuildKit's SecretsUsedInArgOrEnv check
# looks for), matched per word of the name: GITHUB_TOKEN, dbPassword, api-key; not PUBLIC_KEY
_SECRET_WORDS = {"apikey", "auth", "credential", "credentials", "key", "password", "pword"}
_SECRET_WORDS |= {"passwd", "secret", "token"}


def looks_secret(name: str) -> bool:
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]
    return "public" not in words and any(w in _SECRET_WORDS for w in words)


_SECRET_FILES = {".env", ".netrc", ".npmrc", ".pypirc", ".git-credentials", "id_rsa", "id_ed25519"}


def looks_secret_file(rel: str) -> bool:
    base = rel.rsplit("/", 1)[-1]
    stem = base.split(".")[0] if not base.startswith(".") else base
    return (
        base in _SECRET_FILES
        or base.endswith((".pem", ".key", ".p12"))
        or looks_secret(stem.replace("-", "_"))
    )


def unread_context_files(context: Path, read: list[str], dockerfiles: set[str]) -> list[str]:
    """Files of the context (after .dockerignore) under none of the paths the scripts read."""
    ignore = DockerIgnore.load(context)
    roots = [p.strip("/") for p in read]
    if any(r in ("", ".") for r in roots):
        return []
    unread: list[str] = []
    for root, dirs, names in os.walk(context):
        dirs.sort()
        rel_root = Path(root).relative_to(context).as_posix()
        if rel_root == GENERATED_DIR or rel_root.startswith(GENERATED_DIR + "/"):
            continue
        for fname in sorted(names):
            rel = fname if rel_root == "." else f"{rel_root}/{fname}"
            if rel in dockerfiles or rel.startswith((".dockerignore", "Dockerfile")):
                continue
            if ignore.excluded(rel) or any(rel == r or rel.startswith(r + "/") for r in roots):
                continue
            unread.append(rel)
    return unread
