"""Where an `EdgeConfig` comes from on the command line: a config file, `--set` pairs and the
preset options, gathered in `EnvArgs` (the same options on every command)."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.cli_types import Hidden, Repeatable
from testbed.config import ConfigError, EdgeConfig, build_config


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Overrides from a TOML or JSON file (top-level keys are EdgeConfig fields + preset/seed)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file '{p}' does not exist.")
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"config file '{p}' is not UTF-8 text (a binary file?).") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if p.suffix == ".json" else "TOML"
        raise ConfigError(f"config file '{p}' is not valid {kind}: {exc}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{p}' must hold a table of field = value pairs.")
    known = {f.name for f in dataclasses.fields(EdgeConfig)} | {"n_models"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"config file '{p}' sets '{unknown[0]}', which is no EdgeConfig field "
            "(t2drl check-config lists them)."
        )
    return data


def parse_set_options(items: list[str]) -> dict[str, Any]:
    """`--set name=value` pairs; values are JSON (numbers, lists) or else plain strings."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects name=value, got '{item}'.")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


@dataclass(frozen=True)
class EnvArgs:
    """The edge network: a config file, then the preset options, then the --set pairs (later
    ones win)."""

    env_preset: str | None = None
    """Environment preset: 'paper' (section 7.1's model draws) or 'fitted' (the profiled
    models of a fitted-models file, with tau, L and the other scales at the paper's ratios to
    them; --set fitted_scaling=raw for Table 2's values); default: the config file's, else
    paper."""
    env_seed: int | None = None
    """Seed of the paper preset's model draw; default: the config file's, else 0."""
    config: str | None = None
    """TOML or JSON file of EdgeConfig fields (and preset, seed)."""
    fitted_file: str | None = None
    """Fitted-models JSON of the fitted preset: a path or a bundled name (zoo-cpu, paper)."""
    set: Repeatable[tuple[str, ...]] = ()
    """Override an EdgeConfig field, e.g. --set n_users=18 (values parsed as JSON)."""
    overrides: Hidden[dict[str, Any]] = field(default_factory=dict)
    """Field overrides from code (the experiment runner's grid points)."""

    def given(self) -> bool:
        """Whether anything was chosen (else a checkpoint's own environment applies)."""
        return any(
            v not in (None, (), {})
            for v in (self.env_preset, self.env_seed, self.config, self.fitted_file)
        ) or bool(self.set or self.overrides)

    def with_overrides(self, **values: Any) -> EnvArgs:
        """The same environment with more field overrides (e.g. one grid point's n_users)."""
        return dataclasses.replace(self, overrides={**self.overrides, **values})

    def resolved_overrides(self) -> dict[str, Any]:
        """Every source merged into one `build_config` overrides dict."""
        merged: dict[str, Any] = read_config_file(self.config) if self.config else {}
        for key, value in (
            ("preset", self.env_preset),
            ("seed", self.env_seed),
            ("fitted_file", self.fitted_file),
        ):
            if value is not None:
                merged[key] = value
        return merged | parse_set_options(list(self.set)) | dict(self.overrides)

    def build(self) -> EdgeConfig:
        """The validated `EdgeConfig` (ConfigError naming the field on bad input)."""
        return build_config(overrides=self.resolved_overrides())
