"""aifinops: AI FinOps policy and tagging pack for AWS on the AWS CDK."""

import os as _os
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from aifinops.governance import exempt, govern

__all__ = ["__version__", "exempt", "govern"]

if _os.environ.get("AIFINOPS_SOURCE_LOCATIONS") == "1" or _os.environ.get("CDK_DEBUG", "").lower() in ("1", "true"):
    from aifinops.check.source_locations import enable as _enable_source_locations

    _enable_source_locations()  # `aifinops check` wants findings on the app's lines (see that module)


def __getattr__(name: str) -> _Any:
    """`aifinops.govern` and `aifinops.exempt` load the CDK on first use: the CLI and the Lambdas need not."""
    if name in ("govern", "exempt"):
        from aifinops import governance

        return getattr(governance, name)
    if name == "__version__":
        from importlib.metadata import version

        return version("aifinops")
    raise AttributeError(f"module 'aifinops' has no attribute {name!r}")
