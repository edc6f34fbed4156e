"""How big a finops.yaml may be: caps that no real configuration comes near, so that a hostile or broken
file (a 10 MB list, an alias bomb, 20,000 nested brackets, a FIFO) fails fast instead of exhausting memory
or hanging CI.

The reference finops.yaml is 6 KB, 390 values (keys count too) and 5 levels deep. The same organisation
grown to 500 teams and 2,000 workloads is 400 KB and 44,000 values, 5 levels deep.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_BYTES_ENV = "AIFINOPS_MAX_CONFIG_BYTES"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1_048_576  # 1 MiB; raise it with AIFINOPS_MAX_CONFIG_BYTES
    max_nodes: int = 100_000  # values after alias expansion (an alias counts the whole value it names)
    max_depth: int = 100  # nested mappings and lists, aliases expanded


def limits_from_env() -> Limits:
    """The defaults, with max_bytes from AIFINOPS_MAX_CONFIG_BYTES when set; ValueError if it is not a
    positive whole number."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return Limits()
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{MAX_BYTES_ENV} must be a positive whole number of bytes, not {raw[:40]!r}")
    return Limits(max_bytes=value)
