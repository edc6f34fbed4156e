"""Read a cloud assembly (cdk.out): which templates exist, and where each construct landed.

Validation plugins name constructs by path; checkov and cfn-lint name templates and logical ids. The stack's
metadata (`aws:cdk:logicalId` entries) and the templates' `aws:cdk:path` metadata join the two.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any


class CheckInputError(Exception):
    """Bad input to `aifinops check`: exit 2 with this message."""


@dataclass(frozen=True)
class StackTemplate:
    name: str
    template: Path
    region: str | None = None  # None for an environment-agnostic stack


@dataclass
class CloudAssembly:
    root: Path
    stacks: list[StackTemplate]
    # "/Stack/Bucket/Resource" -> (stack, logical id), from each stack's metadata
    _by_path: dict[str, tuple[StackTemplate, str]] = field(default_factory=dict)

    @property
    def templates(self) -> list[Path]:
        return [s.template for s in self.stacks]

    def stack_of(self, template: Path) -> StackTemplate | None:
        resolved = template.resolve()
        return next((s for s in self.stacks if s.template.resolve() == resolved), None)

    def locate(self, construct_path: str) -> tuple[StackTemplate, str] | None:
        """The stack and logical id of a construct; an L2 path resolves through its default child."""
        key = "/" + construct_path.strip("/")
        for candidate in (key, f"{key}/Resource", f"{key}/Default"):
            if candidate in self._by_path:
                return self._by_path[candidate]
        return None

    def construct_path(self, template: Path, logical_id: str) -> str | None:
        resource = _resources(template.resolve()).get(logical_id)
        path = resource.get("Metadata", {}).get("aws:cdk:path") if isinstance(resource, dict) else None
        if isinstance(path, str):
            return path
        return next((p.lstrip("/") for p, (s, lid) in self._by_path.items()
                     if lid == logical_id and s.template.resolve() == template.resolve()), None)

    @staticmethod
    def line_of(template: Path, logical_id: str) -> int | None:
        """1-based line where the resource's key opens in the (pretty-printed) template."""
        return _resource_lines(template.resolve()).get(logical_id)


def read_assembly(root: Path) -> CloudAssembly:
    """Stacks and construct index of a cdk.out; CheckInputError if it is not a cloud assembly with templates."""
    manifest_file = root / "manifest.json"
    if not root.is_dir():
        raise CheckInputError(f"{root}: no such directory (synthesize first, or drop --cdk-out to let check do it)")
    if not manifest_file.is_file():
        raise CheckInputError(f"{root}: not a cloud assembly (no manifest.json)")
    assembly = CloudAssembly(root=root, stacks=[])
    _read_manifest(assembly, root, manifest_file)
    if not assembly.stacks:
        raise CheckInputError(f"{root}: the cloud assembly holds no CloudFormation templates")
    return assembly


def _read_manifest(assembly: CloudAssembly, directory: Path, manifest_file: Path) -> None:
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        props = artifact.get("properties", {})
        if artifact.get("type") == "cdk:cloud-assembly":  # a Stage: its own nested assembly
            nested = directory / props["directoryName"]
            _read_manifest(assembly, nested, nested / "manifest.json")
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = directory / props["templateFile"]
        if not template.is_file():
            raise CheckInputError(f"{template}: listed in {manifest_file} but missing")
        region = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
        stack = StackTemplate(name=artifact.get("displayName", artifact_id), template=template,
                              region=None if region in ("", "unknown-region") else region)
        assembly.stacks.append(stack)
        metadata: dict[str, list[dict[str, Any]]] = artifact.get("metadata") or {}
        if "additionalMetadataFile" in artifact:
            metadata = json.loads((directory / artifact["additionalMetadataFile"]).read_text(encoding="utf-8"))
        for path, entries in metadata.items():
            for entry in entries:
                if entry.get("type") == "aws:cdk:logicalId":
                    assembly._by_path[path] = (stack, str(entry["data"]))


@cache
def _resources(template: Path) -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
    return resources


@cache
def _resource_lines(template: Path) -> dict[str, int]:
    """Logical id -> line of its key, for the keys directly inside "Resources" (the CDK writes one a line)."""
    lines: dict[str, int] = {}
    key_indent: int | None = None  # indent of the logical ids: that of the first key inside "Resources"
    inside = False
    for number, text in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
        if not inside:
            inside = re.match(r'\s*"Resources": \{\s*$', text) is not None
            continue
        match = re.match(r'(\s*)"([^"]+)": \{', text)
        if match is None:
            continue
        indent = len(match.group(1))
        key_indent = indent if key_indent is None else key_indent
        if indent < key_indent:
            break  # left "Resources"
        if indent == key_indent:
            lines[match.group(2)] = number
    known = _resources(template)
    return {k: v for k, v in lines.items() if k in known}
