"""Metadata keys `aifinops check` reads: which validation packs were attached to a stack, and where a construct was
created.

A validation plugin that finds nothing leaves no entry in `validation-report.json`, so the report alone cannot
tell "the pack ran and found nothing" from "the pack was never attached". `aifinops.check.marker` writes this
key on every stack when the packs are attached; `aifinops check` reads it. Kept apart from the marker (which
imports aws_cdk) so that reading an assembly does not start jsii.
"""

SECURITY_CHECKS_KEY = "aifinops:security-checks"
# Construct metadata: "file:line" of the app code that created the construct (`aifinops.check.source_locations`).
SOURCE_KEY = "aifinops:source"
