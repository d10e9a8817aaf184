"""The points where a layer above the plan adds its own sh to build.sh (the purge and cleanup).

The renderer calls these for every segment; each returns sh lines that run in build.sh itself, as
root, between the original steps. The default adds nothing.
"""

from __future__ import annotations

from squasher.plan.model import CopyOp, RunStep, Segment


class ScriptHooks:
    """Extension points of build.sh; the default adds nothing."""

    def runtime(self, seg: Segment) -> str:
        """Extra sh function definitions, placed after squasher's own."""
        return ""

    def prologue(self, seg: Segment) -> list[str]:
        """Lines run before the first step (e.g. record the manually installed packages)."""
        return []

    def before_step(self, seg: Segment, op: RunStep | CopyOp) -> list[str]:
        """Lines run just before a step (e.g. before an original ``apt-get purge``)."""
        return []

    def epilogue(self, seg: Segment) -> list[str]:
        """Lines run after the last step, before the staging files are removed."""
        return []
