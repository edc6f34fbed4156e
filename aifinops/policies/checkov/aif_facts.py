"""Puts `aifinops/policies/resource_facts` (the facts the cdk-nag rules share with these checks) on ``sys.path``
when checkov runs these files as top-level modules; every check file imports this first."""

from __future__ import annotations

import sys
from pathlib import Path

FACTS = str(Path(__file__).resolve().parent.parent / "resource_facts")
if FACTS not in sys.path:
    sys.path.insert(1, FACTS)
