"""Feature flags and context from cdk.json, so `python app.py` and tests synthesize exactly as `cdk synth`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` of cdk.json, or {} when the file is absent (an installed package)."""
    if not path.is_file():
        return {}
    context: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    return context
