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

from aifinops.check.marker_key import SECURITY_CHECKS_KEY, SOURCE_KEY


class CheckInputError(Exception):
    """Bad input to `aifinops check`: exit 2 with this message."""


@dataclass(frozen=True)
class StackTemplate:
    name: str
    template: Path
    region: str | None = None  # None for an environment-agnostic stack
    # The validation packs its template metadata says were attached; None when the template carries no marker.
    security_checks: tuple[str, ...] | None = None


@dataclass
class CloudAssembly:
    root: Path
    stacks: list[StackTemplate]
    # "/Stack/Bucket/Resource" -> (stack, logical id), from each stack's metadata
    _by_path: dict[str, tuple[StackTemplate, str]] = field(default_factory=dict)
    # (stack, metadata file, its construct path -> entries), for acknowledgements and source locations
    metadata: list[tuple[str, Path, dict[str, Any]]] = field(default_factory=list)
    # construct path (no leading "/") -> "file:line" where the app created it (`aifinops:source` metadata)
    sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, construct_path: str | None) -> str | None:
        """Where the app created the construct, or its closest recorded ancestor (an L2 records, its L1 inherits)."""
        path = (construct_path or "").strip("/")
        while path:
            if path in self.sources:
                return self.sources[path]
            path = path.rpartition("/")[0]
        return None

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
    def resources(template: Path) -> dict[str, Any]:
        """The template's Resources, as written."""
        return _resources(template.resolve())

    @staticmethod
    def resource(template: Path, logical_id: str) -> dict[str, Any] | None:
        """The template's resource of that logical id, as written (None if absent)."""
        resource = _resources(template.resolve()).get(logical_id)
        return resource if isinstance(resource, dict) else None

    @staticmethod
    def line_of(template: Path, logical_id: str) -> int | None:
        """1-based line where the resource's key opens in the (pretty-printed) template."""
        return _resource_lines(template.resolve()).get(logical_id)


def read_assembly(root: Path) -> CloudAssembly:
    """Stacks and construct index of a cdk.out; CheckInputError (naming the file and field) if it is not a cloud
    assembly with templates, or if a manifest, metadata file or template is not the JSON the CDK writes."""
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


def read_json(path: Path) -> Any:
    """A JSON file, or CheckInputError naming the file and the position of the error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckInputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckInputError(f"{path}: cannot read ({exc})") from None


def expect(value: Any, kind: type, file: Path, field_path: str) -> Any:
    """`value` if it has the JSON type the CDK writes, else CheckInputError naming the file and the field."""
    if not isinstance(value, kind):
        names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
        raise CheckInputError(f"{file}: {field_path}: expected {names.get(kind, kind.__name__)}, "
                              f"got {type(value).__name__}")
    return value


def _read_manifest(assembly: CloudAssembly, directory: Path, manifest_file: Path) -> None:
    if not manifest_file.is_file():
        raise CheckInputError(f"{manifest_file}: missing (a nested cloud assembly without its manifest)")
    manifest = expect(read_json(manifest_file), dict, manifest_file, "(top level)")
    artifacts = expect(manifest.get("artifacts", {}), dict, manifest_file, "artifacts")
    for artifact_id, artifact in artifacts.items():
        where = f"artifacts.{artifact_id}"
        expect(artifact, dict, manifest_file, where)
        props = expect(artifact.get("properties", {}), dict, manifest_file, f"{where}.properties")
        if artifact.get("type") == "cdk:cloud-assembly":  # a Stage: its own nested assembly
            nested = directory / expect(props.get("directoryName"), str, manifest_file, f"{where}.properties"
                                        ".directoryName")
            _read_manifest(assembly, nested, nested / "manifest.json")
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = directory / expect(props.get("templateFile"), str, manifest_file,
                                      f"{where}.properties.templateFile")
        if not template.is_file():
            raise CheckInputError(f"{template}: listed in {manifest_file} ({where}) but missing")
        region = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
        stack = StackTemplate(name=str(artifact.get("displayName", artifact_id)), template=template,
                              region=None if region in ("", "unknown-region") else region,
                              security_checks=_security_checks(template))
        assembly.stacks.append(stack)
        assembly.stacks += _asset_templates(directory, stack)
        metadata = expect(artifact.get("metadata") or {}, dict, manifest_file, f"{where}.metadata")
        metadata_file = manifest_file
        if "additionalMetadataFile" in artifact:
            metadata_file = directory / expect(artifact["additionalMetadataFile"], str, manifest_file,
                                               f"{where}.additionalMetadataFile")
            metadata = expect(read_json(metadata_file), dict, metadata_file, "(top level)")
        assembly.metadata.append((stack.name, metadata_file, metadata))
        for path, entries in metadata.items():
            for entry in expect(entries, list, metadata_file, path):
                if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId":
                    assembly._by_path[path] = (stack, str(entry.get("data")))
                if isinstance(entry, dict) and entry.get("type") == SOURCE_KEY and isinstance(entry.get("data"), str):
                    assembly.sources[path.strip("/")] = entry["data"]


STACKSET_TEMPLATE_SUFFIX = ".stackset.template.json"  # what cdk-stacksets writes for each StackSetStack
NESTED_TEMPLATE_SUFFIX = ".nested.template.json"  # what the CDK writes for each NestedStack
_ASSET_TEMPLATE_SUFFIXES = (STACKSET_TEMPLATE_SUFFIX, NESTED_TEMPLATE_SUFFIX)


def _asset_templates(directory: Path, stack: StackTemplate) -> list[StackTemplate]:
    """The templates a stack publishes as file assets - its nested stacks (at any depth: the CDK lists them all
    in the top stack's assets) and the StackSets of cdk-stacksets: checked like stacks, named
    <stack>/<template>, in the stack's region, under the packs of the stack whose constructs made them."""
    found = []
    manifest = directory / f"{stack.template.name.removesuffix('.template.json')}.assets.json"
    if not manifest.is_file():
        return []
    files = read_json(manifest).get("files", {})
    for asset in files.values() if isinstance(files, dict) else []:
        path = asset.get("source", {}).get("path") if isinstance(asset, dict) else None
        suffix = next((x for x in _ASSET_TEMPLATE_SUFFIXES if isinstance(path, str) and path.endswith(x)), None)
        if isinstance(path, str) and suffix and (directory / path).is_file():
            found.append(StackTemplate(name=f"{stack.name}/{path.removesuffix(suffix)}",
                                       template=directory / path, region=stack.region,
                                       security_checks=stack.security_checks))
    return sorted(found, key=lambda s: s.name)


def _security_checks(template: Path) -> tuple[str, ...] | None:
    """The validation packs the template's metadata says were attached (`attach_security_checks`), if any."""
    metadata = _template(template.resolve()).get("Metadata")
    packs = metadata.get(SECURITY_CHECKS_KEY) if isinstance(metadata, dict) else None
    if packs is None:
        return None
    names = expect(packs, list, template, f"Metadata.{SECURITY_CHECKS_KEY}")
    return tuple(sorted(str(n) for n in names))


@cache
def _template(template: Path) -> dict[str, Any]:
    """A template, checked once: a JSON object whose Resources (if any) is an object. A YAML template (plain
    CloudFormation, `aifinops checkov`) is read with cfn-lint's decoder, which knows the intrinsic function tags."""
    if template.suffix.lower() in (".yaml", ".yml"):
        from cfnlint.decode import decode  # type: ignore[import-untyped]

        parsed, errors = decode(str(template))
        if errors or parsed is None:
            raise CheckInputError(f"{template}: not a CloudFormation template ({errors[0].message if errors else ''})")
        document = expect(dict(parsed), dict, template, "(top level)")
    else:
        document = expect(read_json(template), dict, template, "(top level)")
    expect(document.get("Resources", {}), dict, template, "Resources")
    return document  # type: ignore[no-any-return]


def _resources(template: Path) -> dict[str, Any]:
    resources: dict[str, Any] = _template(template).get("Resources", {})
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
