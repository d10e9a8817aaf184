"""The variants' names and the figures taken from one sample's results: sizes, ratios, and how
RESULTS.md prints numbers (MB of 10^6 bytes, as the docker CLI shows them)."""

from __future__ import annotations

from typing import Any

# the columns of every table, in this order
VARIANT_KEYS = (
    "original",
    "squashed",
    "squashed_classic",
    "squashed_mount",
    "squashed_stages",
    "squashed_stages_classic",
    "docker_squash_base",
    "docker_squash",
    "reference",
)
VARIANT_TITLES = {
    "original": "original",
    "squashed": "squashed (script, BuildKit)",
    "squashed_classic": "squashed (script, classic)",
    "squashed_mount": "squashed (mount, BuildKit)",
    "squashed_stages": "squashed (stages, BuildKit)",
    "squashed_stages_classic": "squashed (stages, classic)",
    "docker_squash_base": "docker-squash (base kept)",
    "docker_squash": "docker-squash (flatten)",
    "reference": "expert reference",
}
SHORT_TITLES = {
    "original": "original",
    "squashed": "squashed",
    "squashed_classic": "sq. classic",
    "squashed_mount": "sq. mount",
    "squashed_stages": "sq. stages",
    "squashed_stages_classic": "sq. stages classic",
    "docker_squash_base": "d-squash base kept",
    "docker_squash": "d-squash flatten",
    "reference": "reference",
}
NOT_MEASURED = "not measured"


def size_of(sample: dict[str, Any], key: str) -> int | None:
    variant = sample.get(key)
    if not isinstance(variant, dict):
        return None
    size = variant.get("size")
    return size if isinstance(size, int) and size > 0 else None


def field_of(sample: dict[str, Any], key: str, name: str) -> Any:
    variant = sample.get(key)
    return variant.get(name) if isinstance(variant, dict) else None


def _ratio(a: int | None, b: int | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def ratios(sample: dict[str, Any]) -> dict[str, float | None]:
    """The ratios RESULTS.md shows first, from one sample's results."""
    squashed = size_of(sample, "squashed")
    original = size_of(sample, "original")
    saved = round(1 - squashed / original, 4) if squashed is not None and original else None
    reference = size_of(sample, "reference")
    out: dict[str, float | None] = {
        "squashed_vs_reference": _ratio(squashed, reference),
        "squashed_vs_docker_squash_base": _ratio(squashed, size_of(sample, "docker_squash_base")),
        "squashed_vs_docker_squash": _ratio(squashed, size_of(sample, "docker_squash")),
    }
    for key in ("squashed_classic", "squashed_mount", "squashed_stages", "squashed_stages_classic"):
        out[f"{key}_vs_reference"] = _ratio(size_of(sample, key), reference)
    out["docker_squash_vs_reference"] = _ratio(size_of(sample, "docker_squash"), reference)
    out["saved_ratio"] = saved
    return out


def ratio_of(sample: dict[str, Any], name: str) -> float | None:
    """A ratio from the sample's stored ratios, else computed (older runs lack some)."""
    stored = sample.get("ratios") or {}
    value = stored.get(name)
    return value if value is not None else ratios(sample).get(name)


def measured_keys(samples: list[dict[str, Any]]) -> list[str]:
    """The variants some sample of the run has, in column order."""
    return [k for k in VARIANT_KEYS if any(isinstance(s.get(k), dict) for s in samples)]


def mb(size: int | None) -> str:
    if size is None:
        return "—"
    value = size / 1e6
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_bytes(size: int | None) -> str:
    """Sizes from bytes to hundreds of MB: KB below 1 MB."""
    if size is None:
        return "—"
    if size < 1000:
        return f"{size} B"
    return f"{size / 1e3:.1f} KB" if size < 1e6 else f"{mb(size)} MB"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def fmt_pct(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.0f}%"
    return "0%" if text == "-0%" else text


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


def ran(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if not s.get("skipped")]


UNAVAILABLE = "strategy not available"  # the error of a variant whose strategy is not built yet


def failed(sample: dict[str, Any], key: str) -> str | None:
    """Why a variant that was attempted has no image (None: it has one, or was not attempted, or
    its strategy does not exist in this squasher yet)."""
    variant = sample.get(key)
    if not isinstance(variant, dict) or size_of(sample, key) is not None:
        return None
    error = variant.get("error")
    if not error or str(error).startswith((UNAVAILABLE, "not built: the run's time cap")):
        return None
    return str(error)


def broken(sample: dict[str, Any], key: str) -> bool | None:
    """Whether a variant's probe failed (None: not probed or not built)."""
    variant = sample.get(key)
    if not isinstance(variant, dict) or variant.get("broken") is None:
        return None
    return bool(variant["broken"])
