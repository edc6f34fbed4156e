"""Read a catalog data file shipped inside the package."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def read_yaml(name: str) -> Any:
    text = resources.files("aifinops.catalog").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
