"""Lambda code = a runtime package of `aifinops/lambdas/` with its JSON policy bundled as a file, and the
shared package `aifinops_runtime` beside it (the asset root is on Lambda's import path; `aifinops` is not).

Not an environment variable: Lambda allows 4 KB of those, and a policy of many teams or prices is larger.
Bundled locally (no Docker); the asset hash covers the output, so a policy or runtime change redeploys the
function.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

import aifinops_runtime

ASSET_EXCLUDE = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")
RUNTIME_PACKAGE = Path(aifinops_runtime.__file__).resolve().parent  # what both functions import at run time

__all__ = ["ASSET_EXCLUDE", "RUNTIME_PACKAGE", "code_with_policy", "code_with_runtime"]


def code_with_runtime(source: Path) -> lambda_.Code:
    """`source` and `RUNTIME_PACKAGE`, for a function whose few settings fit its environment."""
    return code_with_policy(source, "", "")


def code_with_policy(source: Path, policy_file: str, policy_json: str) -> lambda_.Code:
    """`source` copied (without caches), `RUNTIME_PACKAGE` as a subdirectory of the same name, plus
    `policy_file` containing `policy_json` (none when `policy_file` is empty)."""
    bundling = cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),  # required; never pulled
        local=_PackageWithPolicy(source, policy_file, policy_json))
    return lambda_.Code.from_asset(str(source), asset_hash_type=cdk.AssetHashType.OUTPUT, bundling=bundling)


@jsii.implements(cdk.ILocalBundling)
class _PackageWithPolicy:
    def __init__(self, source: Path, policy_file: str, policy_json: str) -> None:
        self._source, self._policy_file, self._policy_json = source, policy_file, policy_json

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        ignore = shutil.ignore_patterns(*ASSET_EXCLUDE)
        shutil.copytree(self._source, output_dir, dirs_exist_ok=True, ignore=ignore)
        shutil.copytree(RUNTIME_PACKAGE, Path(output_dir) / RUNTIME_PACKAGE.name, dirs_exist_ok=True, ignore=ignore)
        if self._policy_file:
            (Path(output_dir) / self._policy_file).write_text(self._policy_json, encoding="utf-8")
        return True
