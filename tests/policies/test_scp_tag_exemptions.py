"""`organization.tag_exempt_principals` spares create-then-tag tools from the tags-at-creation statements
only: every other Deny still applies to them."""

from __future__ import annotations

from typing import Any

import yaml

from aifinops.config import parse
from aifinops.policies.scp import build_statements
from tests.conftest import REFERENCE_CONFIG

KARPENTER = "arn:aws:iam::*:role/KarpenterController*"


def test_tag_exemptions_reach_only_the_tag_statements() -> None:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    data["organization"]["tag_exempt_principals"] = [KARPENTER]
    statements = build_statements(parse(data), "dev")
    exempted = {s.sid for s in statements
                if KARPENTER in str(s.body.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalARN"))}
    tag_sids = {s.sid for s in statements if s.sid.startswith("AifRequireTag")}
    assert tag_sids and exempted == tag_sids
