"""verify's comparison of two image configs (Env, Cmd, Entrypoint, ... key by key)."""

from __future__ import annotations

import json
from typing import Any

from squasher.inspect.verify_difference import CONFIG, Difference
from squasher.util.standard_path import STANDARD_PATH

# the image-config keys compared, in report order
CONFIG_KEYS = (
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "Shell",
    "OnBuild",
)


def _empty_to_none(value: Any) -> Any:
    return None if value in (None, "", [], {}) else value


# what the engine gives a container whose image sets no PATH (builders write it into new images)
DEFAULT_PATH = STANDARD_PATH


def _env(values: Any) -> dict[str, str]:
    out: dict[str, str] = {"PATH": DEFAULT_PATH}
    for item in values or []:
        key, _, value = str(item).partition("=")
        out[key] = value
    return out


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def compare_config(original: dict[str, Any], squashed: dict[str, Any]) -> list[Difference]:
    """Differences between two image configs (the ``config`` object of the image JSON).

    Env, Labels, ExposedPorts and Volumes are compared key by key (path ``Env.KEY``, ...); the others
    as whole values. Unset, empty string, ``[]`` and ``{}`` are the same; an Env without PATH has
    the engine's default PATH (what a container of it sees).
    """
    diffs: list[Difference] = []
    for key in CONFIG_KEYS:
        o, s = original.get(key), squashed.get(key)
        if key in ("Env", "Labels"):
            om = _env(o) if key == "Env" else dict(o or {})
            sm = _env(s) if key == "Env" else dict(s or {})
            for k in sorted(set(om) | set(sm)):
                if k not in sm:
                    detail = f"{key} {k} removed (was {om[k]!r})"
                elif k not in om:
                    detail = f"{key} {k} added: {sm[k]!r}"
                elif om[k] != sm[k]:
                    detail = f"{key} {k}: {om[k]!r} -> {sm[k]!r}"
                else:
                    continue
                diffs.append(Difference(path=f"{key}.{k}", change=CONFIG, details=(detail,)))
        elif key in ("ExposedPorts", "Volumes"):
            os_, ss = set(o or {}), set(s or {})
            for k in sorted(os_ ^ ss):
                verb = "removed" if k in os_ else "added"
                diffs.append(
                    Difference(path=f"{key}.{k}", change=CONFIG, details=(f"{key} {k} {verb}",))
                )
        else:
            o, s = _empty_to_none(o), _empty_to_none(s)
            if o != s:
                diffs.append(
                    Difference(
                        path=key, change=CONFIG, details=(f"{key} {_show(o)} -> {_show(s)}",)
                    )
                )
    return diffs
