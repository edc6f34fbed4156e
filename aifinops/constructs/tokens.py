"""Whether a prop value is an unresolved CDK token, asked without loading aws_cdk when nothing loaded it."""

from __future__ import annotations

import sys
from typing import Any


def is_token(value: object) -> bool:
    """Only aws_cdk makes tokens: without it loaded (`aifinops validate` runs the constructs' prop rules on
    finops.yaml values) nothing is one, and jsii is not started to say so."""
    cdk: Any = sys.modules.get("aws_cdk")
    return cdk is not None and bool(cdk.Token.is_unresolved(value))
