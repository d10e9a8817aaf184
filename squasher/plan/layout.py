"""Where the squashed image keeps squasher's staging files (the plan decides, render writes)."""

from __future__ import annotations

from squasher.context.sources import GENERATED_DIR

__all__ = ["GENERATED_DIR", "MOUNTED_CTX", "STAGED_CTX", "STAGE_ROOT"]

STAGE_ROOT = "/.squasher"
STAGED_CTX = "/.squasher/ctx"
# The mount strategy binds the context under /dev: the runtime's tmpfs there keeps the mount point
# out of the image (a mount point elsewhere stays behind as an empty directory with BuildKit 0.8).
MOUNTED_CTX = "/dev/.squasher"
