"""Determinism across processes: the same code run under different PYTHONHASHSEED values.

One process comparing a pure call with itself cannot see an order that depends on string hashing
(a set or a dict built from one); two interpreters with different hash seeds can.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent
SEEDS = ("0", "1", "4242")


def outputs_across_hash_seeds(code: str) -> list[str]:
    """What ``code`` prints (stdout), once per hash seed; the tests directory is importable."""
    outputs: list[str] = []
    for seed in SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout, "the code printed nothing to compare"
        outputs.append(proc.stdout)
    return outputs
