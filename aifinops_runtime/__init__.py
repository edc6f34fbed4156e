"""What the aifinops Lambda functions share at run time: stdlib + boto3 only.

A second top-level package of the distribution, not a part of `aifinops`: each Lambda asset (the GPU guard, the
budget enforcer) bundles a copy of it next to its own modules (see aifinops.constructs.policy_asset), where
`aifinops` itself must not be importable. The functions import it absolutely (`from aifinops_runtime.clients
import ClientFactory`), which resolves to the bundled copy in Lambda and to the installed package elsewhere.

Modules: `bootstrap` (load a handler's directory as a package), `clients` (boto3 clients with retries),
`policy` (the JSON policy file: loading and shared validation), `logs` (JSON log lines and EMF metrics),
`permissions` (the type of a declared IAM permission). Each function keeps its own names (user agent, logger,
environment variables) and passes them in.

This file stays import-free: importing the package must not import boto3.
"""

__all__: list[str] = []
