"""Find a Lambda function's code in a synthesized cloud assembly, as CloudFormation would deploy it.

`asset_dir_of_function(cdk_out, stack, "handler.handler")`: the stack's template gives the function (by
logical id or by handler) and its `Code.S3Key` (`<asset hash>.zip`); the stack's asset manifest maps that hash
to the staged directory `cdk.out/asset.<hash>`, the exact content that would be zipped and uploaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AssetError(LookupError):
    pass


@dataclass(frozen=True)
class FunctionAsset:
    logical_id: str
    handler: str
    directory: Path
    environment: dict[str, str]
    function_name: str = ""  # the template's FunctionName, when it sets one


def function_asset(cdk_out: Path, stack: str, logical_id_or_handler: str) -> FunctionAsset:
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    artifacts = manifest.get("artifacts", {})
    if stack not in artifacts:
        stacks = sorted(k for k, v in artifacts.items() if v.get("type") == "aws:cloudformation:stack")
        raise AssetError(f"no stack {stack!r} in {cdk_out}; stacks: {stacks}")
    template = json.loads((cdk_out / artifacts[stack]["properties"]["templateFile"]).read_text())
    functions = {lid: r["Properties"] for lid, r in template.get("Resources", {}).items()
                 if r.get("Type") == "AWS::Lambda::Function"}
    matches = [(lid, p) for lid, p in functions.items()
               if logical_id_or_handler in (lid, p.get("Handler"))]
    if len(matches) != 1:
        found = {lid: p.get("Handler") for lid, p in functions.items()}
        raise AssetError(f"{len(matches)} functions match {logical_id_or_handler!r} in {stack}: {found}")
    logical_id, props = matches[0]
    key = props.get("Code", {}).get("S3Key")
    if not isinstance(key, str) or not key.endswith(".zip"):
        raise AssetError(f"{stack}/{logical_id}: Code.S3Key {key!r} is not a file asset (<hash>.zip)")
    asset_hash = key.removesuffix(".zip")
    source = _asset_source(cdk_out, artifacts, stack, asset_hash)
    directory = cdk_out / source["path"]
    if source.get("packaging") != "zip" or not directory.is_dir():
        raise AssetError(f"asset {asset_hash} of {stack}/{logical_id} is not a staged directory: {source}")
    variables: dict[str, Any] = props.get("Environment", {}).get("Variables", {})
    name = props.get("FunctionName")
    return FunctionAsset(logical_id=logical_id, handler=props.get("Handler", ""), directory=directory,
                         environment={k: v for k, v in variables.items() if isinstance(v, str)},
                         function_name=name if isinstance(name, str) else "")


def asset_dir_of_function(cdk_out: Path, stack: str, logical_id_or_handler: str) -> Path:
    return function_asset(cdk_out, stack, logical_id_or_handler).directory


def _asset_source(cdk_out: Path, artifacts: dict[str, Any], stack: str, asset_hash: str) -> dict[str, Any]:
    manifests = [a["properties"]["file"] for name, a in artifacts.items()
                 if a.get("type") == "cdk:asset-manifest" and name in (f"{stack}.assets", *artifacts[stack].get(
                     "dependencies", []))]
    for file in manifests:
        files = json.loads((cdk_out / file).read_text()).get("files", {})
        if asset_hash in files:
            source: dict[str, Any] = files[asset_hash]["source"]
            return source
    raise AssetError(f"asset {asset_hash} not in the asset manifests of {stack}: {manifests}")


def stackset_function_asset(cdk_out: Path, stackset_name: str, handler: str) -> FunctionAsset:
    """The function `handler` of the StackSet named `stackset_name`, as its stack instances would run it: the
    StackSet's template (a `*.stackset.template.json` that cdk-stacksets writes) gives `Code.S3Key` (`<asset
    hash>.zip` in each region's asset bucket), which is the staged directory `cdk.out/asset.<hash>`."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        parent = json.loads((cdk_out / artifact["properties"]["templateFile"]).read_text())
        for resource in parent.get("Resources", {}).values():
            props = resource.get("Properties", {})
            if resource.get("Type") != "AWS::CloudFormation::StackSet" or props.get("StackSetName") != stackset_name:
                continue
            url = json.dumps(props["TemplateURL"])
            [template_path] = [p for p in cdk_out.glob("*.stackset.template.json")
                               if _file_hash(p.name, cdk_out) and _file_hash(p.name, cdk_out) in url]
            template = json.loads(template_path.read_text())
            functions = [(lid, r["Properties"]) for lid, r in template["Resources"].items()
                         if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == handler]
            if len(functions) != 1:
                raise AssetError(f"{len(functions)} functions with handler {handler!r} in {template_path.name}")
            logical_id, fprops = functions[0]
            directory = cdk_out / f"asset.{fprops['Code']['S3Key'].removesuffix('.zip')}"
            if not directory.is_dir():
                raise AssetError(f"{directory} is not staged")
            variables = fprops.get("Environment", {}).get("Variables", {})
            return FunctionAsset(logical_id=logical_id, handler=handler, directory=directory,
                                 environment={k: v for k, v in variables.items() if isinstance(v, str)},
                                 function_name=fprops.get("FunctionName", "") if isinstance(
                                     fprops.get("FunctionName"), str) else "")
    raise AssetError(f"no StackSet named {stackset_name!r} in {cdk_out}")


def _file_hash(template_file: str, cdk_out: Path) -> str | None:
    """The asset hash under which a stack's asset manifest publishes `template_file` (the StackSet template)."""
    for manifest in cdk_out.glob("*.assets.json"):
        for asset_hash, asset in json.loads(manifest.read_text()).get("files", {}).items():
            if asset.get("source", {}).get("path") == template_file:
                return str(asset_hash)
    return None
