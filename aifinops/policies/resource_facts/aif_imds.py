"""Whether an accelerated EC2 instance or launch template requires IMDSv2 (AiFinOps-IMD1, CKV_AIF_5).
Standard library only.

A GPU instance holds model weights, data and the credentials of a role that can usually read them; IMDSv1
answers any request that reaches 169.254.169.254 (an SSRF in a notebook or an inference server) with those
credentials. IMDSv2 requires a session token first. CloudFormation has no metadata options on
AWS::EC2::Instance: an instance gets them from its launch template (the CDK's ``require_imdsv2=True`` makes
one). What a template does not say is not assumed: the AMI's ImdsSupport and the account's defaults can make
tokens required, but only an explicit setting can be reviewed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as part of aifinops (the cdk-nag rules, tests)
    from aifinops.policies.resource_facts import aif_resources as r
    from aifinops.policies.resource_facts import aif_template as t
else:  # checkov: this directory is on sys.path (aifinops/policies/checkov/aif_facts.py)
    import aif_resources as r
    import aif_template as t

IMDS_TYPES = (r.EC2_INSTANCE, r.LAUNCH_TEMPLATE)
FIX = ("set MetadataOptions.HttpTokens to required in the launch template (CDK: require_imdsv2=True on "
       "ec2.Instance or ec2.LaunchTemplate)")
Verdict = tuple[bool | None, str]  # (complies; None: not judged, reason)


def launch_template_verdict(data: Any) -> Verdict:
    """The verdict of a launch template's LaunchTemplateData."""
    data = t.clean(data)
    if not isinstance(data, dict):
        return None, "LaunchTemplateData is unresolved"
    options = data.get("MetadataOptions")
    if options is None:
        return False, f"no MetadataOptions: IMDSv1 is allowed; {FIX}"
    if not isinstance(options, dict) or t.is_intrinsic(options):
        return None, "MetadataOptions is unresolved"
    endpoint, tokens = options.get("HttpEndpoint"), options.get("HttpTokens")
    if endpoint == "disabled":
        return True, "the instance metadata service is disabled"
    if tokens == "required":
        return True, "IMDSv2 required (HttpTokens required)"
    if tokens is None or isinstance(tokens, str):
        return False, f"HttpTokens {tokens or 'not set (optional)'}: IMDSv1 is allowed; {FIX}"
    return None, "HttpTokens is unresolved"


def verdicts(resources: Mapping[str, tuple[str, Mapping[str, Any]]],
             accelerated: Callable[[str], bool]) -> dict[str, Verdict]:
    """Logical id -> verdict of each accelerated instance and launch template of one template (`resources`:
    logical id -> (type, properties)). A launch template counts when its own instance type is accelerated;
    an instance is judged by the launch template it names, found in the same template by reference or by
    literal name (a template defined elsewhere is not judged)."""
    templates = {lid: props for lid, (kind, props) in resources.items() if kind == r.LAUNCH_TEMPLATE}
    by_name = {name: lid for lid, props in templates.items() if (name := t.literal(props.get("LaunchTemplateName")))}
    found: dict[str, Verdict] = {}
    for logical_id, (kind, props) in resources.items():
        if kind not in IMDS_TYPES or not any(isinstance(v, str) and accelerated(v)
                                             for v in r.instance_types(kind, props)):
            continue
        if kind == r.LAUNCH_TEMPLATE:
            found[logical_id] = launch_template_verdict(props.get("LaunchTemplateData"))
            continue
        given = t.clean(props.get("LaunchTemplate"))
        if given is None:
            found[logical_id] = (False, f"no launch template: IMDSv1 is allowed; {FIX}")
            continue
        if not isinstance(given, dict) or t.is_intrinsic(given):
            found[logical_id] = (None, "LaunchTemplate is unresolved")
            continue
        refs = [*t.references(given.get("LaunchTemplateId")), *t.references(given.get("LaunchTemplateName"))]
        name = t.literal(given.get("LaunchTemplateName"))
        target = next((ref for ref in refs if ref in templates), None) or (by_name.get(name) if name else None)
        if target is None:
            found[logical_id] = (None, "its launch template is not in this template: not judged")
            continue
        complies, reason = launch_template_verdict(templates[target].get("LaunchTemplateData"))
        found[logical_id] = (complies, f"launch template {target}: {reason}")
    return found
