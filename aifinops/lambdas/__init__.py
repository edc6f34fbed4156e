"""Lambda runtime code: stdlib + boto3 only. Nothing here imports the rest of aifinops, aws_cdk, pydantic or
yaml; each subpackage is shipped on its own as a Lambda asset (see budget_enforcer/handler.py), together with
the shared top-level package `aifinops_runtime` (clients, policy loading, JSON logs, the PEP 366 bootstrap),
which both import absolutely."""
