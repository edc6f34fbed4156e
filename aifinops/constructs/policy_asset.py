"""Lambda code = a runtime package of `aifinops/lambdas/` with its JSON policy bundled as a file.

Not an environment variable: Lambda allows 4 KB of those, and a policy of many teams or prices is larger.
Bundled locally (no Docker); the asset hash covers the output, so a policy change redeploys the function.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

ASSET_EXCLUDE = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")

__all__ = ["ASSET_EXCLUDE", "code_with_policy"]


def code_with_policy(source: Path, policy_file: str, policy_json: str) -> lambda_.Code:
    """`source` copied (without caches) plus `policy_file` containing `policy_json`."""
    bundling = cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),  # required; never pulled
        local=_PackageWithPolicy(source, policy_file, policy_json))
    return lambda_.Code.from_asset(str(source), asset_hash_type=cdk.AssetHashType.OUTPUT, bundling=bundling)


@jsii.implements(cdk.ILocalBundling)
class _PackageWithPolicy:
    def __init__(self, source: Path, policy_file: str, policy_json: str) -> None:
        self._source, self._policy_file, self._policy_json = source, policy_file, policy_json

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        shutil.copytree(self._source, output_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*ASSET_EXCLUDE))
        (Path(output_dir) / self._policy_file).write_text(self._policy_json, encoding="utf-8")
        return True
