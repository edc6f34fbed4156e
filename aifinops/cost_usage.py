"""The usage file of `aifinops diff`: what pay-per-token workloads are expected to use each month, and which
prompt files they send (Infracost's idea of a usage file, for Bedrock).

```yaml
workloads:
  search-rewrite-dev:                   # a workload's name, as `aifinops report` lists it
    "*": {input_tokens: 200000000, output_tokens: 20000000}      # each of its models, unless named below
    anthropic.claude-haiku-*: {input_tokens: 150000000, output_tokens: 10000000}
prompts:
  prompts/rewrite.txt: {workload: search-rewrite-dev, calls: 1000000}   # calls a month that send this prompt
```

Read with the hardened finops.yaml reader (size, aliases, depth, no tags); every problem names the file, the line
and the field. Token counts of a changed prompt are estimated from its characters (`CHARS_PER_TOKEN`, by model
provider): an approximation, stated as such in every output.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from aifinops.config.errors import ConfigError, ConfigIssue
from aifinops.config.source import dotted, line_of, read_source

# Characters per token, by model provider: published rules of thumb (Anthropic ~3.5 for English prose, OpenAI-style
# BPE tokenizers ~4). Used only for a prompt's change in size; no tokenizer is called.
CHARS_PER_TOKEN: dict[str, float] = {"anthropic": 3.5}
DEFAULT_CHARS_PER_TOKEN = 4.0

Count = Annotated[int, StrictInt, Field(ge=0, le=10**15)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenUsage(_Model):
    input_tokens: Count
    output_tokens: Count = 0


class PromptUsage(_Model):
    workload: str = Field(min_length=1)
    calls: Count = Field(description="calls a month that send this prompt")
    model: str | None = Field(None, description="the model the prompt goes to. Default: the workload's only model")


class UsageFile(_Model):
    workloads: dict[str, dict[str, TokenUsage]] = Field(default_factory=dict)
    prompts: dict[str, PromptUsage] = Field(default_factory=dict)

    def usage_of(self, workload: str, model: str) -> TokenUsage | None:
        """The workload's usage of `model`: an exact entry, else the first matching pattern ("*" last)."""
        entries = self.workloads.get(workload, {})
        if model in entries:
            return entries[model]
        patterns = sorted((p for p in entries if p != "*" and fnmatch.fnmatchcase(model, p)), key=len, reverse=True)
        return entries[patterns[0]] if patterns else entries.get("*")


def load_usage(path: str | Path) -> UsageFile:
    source = read_source(path)
    try:
        return UsageFile.model_validate(source.data if source.data is not None else {})
    except ValidationError as exc:
        issues = []
        for error in exc.errors(include_url=False)[:50]:
            loc = tuple(error["loc"])
            issues.append(ConfigIssue(str(path), line_of(source.lines, loc), dotted(loc) or "(top)", error["msg"]))
        raise ConfigError(issues) from None


def chars_per_token(model_id: str) -> float:
    provider = model_id.split(".", 1)[0] if "." in model_id else ""
    return CHARS_PER_TOKEN.get(provider, DEFAULT_CHARS_PER_TOKEN)
