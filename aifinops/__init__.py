"""aifinops: AI FinOps policy and tagging pack for AWS on the AWS CDK."""

import os as _os

if _os.environ.get("AIFINOPS_SOURCE_LOCATIONS") == "1" or _os.environ.get("CDK_DEBUG", "").lower() in ("1", "true"):
    from aifinops.check.source_locations import enable as _enable_source_locations

    _enable_source_locations()  # `aifinops check` wants findings on the app's lines (see that module)
