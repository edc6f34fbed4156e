"""`load()` and `parse()`: finops.yaml from disk (hardened: `source`, `yaml_compose`, `limits`) to a validated
`FinOpsConfig`, or a ConfigError naming file, line and field of each problem.

Three stages, each only once the one before passed: the schema (`models`), the cross-field rules (`checks`,
run by the schema's own validator), then the prop rules the constructs apply at synthesis to what the stacks
build from this config (`aifinops.synth_checks`, outside this package: it reads the constructs' rule modules,
which read these models; imported on first use, so importing the config never loads them).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aifinops.config.errors import ConfigError, ConfigIssue
from aifinops.config.limits import Limits
from aifinops.config.models import FinOpsConfig
from aifinops.config.source import Loc, Source, dotted, line_of, read_source
from aifinops.config.validation import translate_errors

_MAX_TRANSLATED = 1_000


def parse(data: Any, source: Source | None = None) -> FinOpsConfig:
    """Validate parsed data; raise ConfigError with one issue per problem. `source` (from read_source)
    supplies the file name, lines and raw scalars for the messages. Three stages, each only once the one
    before passed: the schema, the cross-field rules (`checks`), then the prop rules the constructs
    apply at synthesis to what the stacks build from this config (`aifinops.synth_checks`): a config that
    parses synthesizes. Building a FinOpsConfig directly runs the first two only."""
    source = source or Source("<config>", data)
    cross: list[tuple[Loc, str]] = []
    try:
        config = FinOpsConfig.model_validate(data, context={"cross_issues": cross})
    except ValidationError as exc:
        # A 1 MB file can hold 300,000 errors: messages for the first ones (50 are shown), a count of the rest.
        more = max(0, exc.error_count() - _MAX_TRANSLATED)
        raise ConfigError(translate_errors(exc, source, _MAX_TRANSLATED), more=more) from None
    if cross:
        raise ConfigError([ConfigIssue(source.path, line_of(source.lines, loc), dotted(loc), msg)
                           for loc, msg in cross])
    synth: list[tuple[Loc, str]] = list(import_module("aifinops.synth_checks").synth_checks(config))
    if synth:
        raise ConfigError([ConfigIssue(source.path, line_of(source.lines, loc), dotted(loc), msg)
                           for loc, msg in synth])
    return config


def load(path: str | Path, limits: Limits | None = None) -> FinOpsConfig:
    """Read and validate a finops.yaml; raise ConfigError naming file, line and field of each problem.
    `limits` (size, values, depth) default to `limits.Limits` with AIFINOPS_MAX_CONFIG_BYTES applied."""
    source = read_source(path, limits)
    config = parse(source.data, source)
    _check_scp_packing(config, source)
    return config


def _check_scp_packing(config: FinOpsConfig, source: Source) -> None:
    """Guardrails that cannot be packed into organization.scp_limits: the error `check_scp_limits` raises before
    any stack is built, here with the line of the field (`parse()` leaves it to them: the SCP builders' own tests
    parse configs that do not fit)."""
    scp = import_module("aifinops.policies.scp")
    try:
        scp.build_scps(config)
    except scp.ScpLimitError as exc:
        loc: Loc = ("organization", "scp_limits")
        raise ConfigError([ConfigIssue(source.path, line_of(source.lines, loc), dotted(loc), str(exc))]) from None


DEFAULT_CONFIG = Path("finops.yaml")
