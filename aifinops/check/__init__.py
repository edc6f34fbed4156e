"""`aifinops check`: one verdict from the CDK validation plugins, checkov and cfn-lint, as SARIF and JUnit.

Every tool's output becomes `Finding`s (failed, acknowledged with a reason, or passed); `command.check` is
the CLI entry, the readers and writers are usable on their own.
"""

from aifinops.check.assembly import CheckInputError, CloudAssembly, read_assembly
from aifinops.check.findings import Finding, Level, Rule, Status, ToolResult

__all__ = ["CheckInputError", "CloudAssembly", "Finding", "Level", "Rule", "Status", "ToolResult", "read_assembly"]
