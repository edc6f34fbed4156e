"""The budget enforcer: pause a team's non-critical AI workloads when its budget is spent, resume them later.

Shipped as the Lambda asset directory itself (handler ``handler.handler`` and ``handler.resume_handler``) and
imported by the CLI as ``aifinops.lambdas.budget_enforcer``. Its only input is the JSON policy in the
environment variable ``AIFINOPS_BUDGET_POLICY`` (written by ``aifinops.policies.budget_policy``).

Flow of a notification: notification (parse, best effort) -> confirmation (DescribeBudget decides) -> the team's
lock (lock.py, locking.py: one run per team, the CLI included) -> inventory (tagging API, Batch; near misses of our
tag keys reported, near_miss.py) -> actions (decide; then mark `pausing`, read the marks back, act, mark `paused`:
marking.py) -> summary (one JSON line, returned).
Inventory and actions run in every account of the policy's `accounts` (each through its access role, assumed
with STS; see clients.AccountClients), or in the home account only when the policy has none; the budget is
confirmed in the home account. Every decision and error of the summary names its account.
Resume: the teams' locks -> resume (restore exactly what carries the paused mark, `resuming` meanwhile, then
remove every mark) -> summary.
Every IAM action the code calls is declared in permissions.py.

This file stays import-free: the Lambda entry point loads the directory as a package (see handler.py).
"""

__all__: list[str] = []
