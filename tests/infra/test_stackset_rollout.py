"""organization.rollout: stacksets on the reference deployment: service-managed StackSets with automatic deployment
for the guard (one per environment) and the enforcer's access role, targeting the environments' OUs (and listed
accounts) in the configured regions, no per-account stacks, assets readable by the organization only, a
delegated administrator, and the security review passing. That the templates stay constant in the number of
accounts is measured by bench/synth_scale.py --accounts (bench/RESULTS.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aifinops.cli import app as cli
from aifinops.config import ConfigError, FinOpsConfig, parse
from aifinops.policies.scp import build_scps
from tests.conftest import REFERENCE_CONFIG

ORG = "o-ex12example01"
ADMIN = "555555555555"


def stacksets_config(config: FinOpsConfig, **stacksets: Any) -> FinOpsConfig:
    org = config.organization.model_copy(update={
        "rollout": "stacksets", "org_id": ORG,
        "stacksets": config.organization.stacksets.model_copy(update=stacksets)})
    return config.model_copy(update={"organization": org})


def synth(config: FinOpsConfig, outdir: Path) -> Path:
    import aws_cdk as cdk

    from aifinops.infra import build
    from aifinops.infra.context import cdk_json_context

    app = cdk.App(context=cdk_json_context(), outdir=str(outdir))
    build(app, config)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory, config: FinOpsConfig) -> Path:
    return synth(stacksets_config(config), tmp_path_factory.mktemp("stacksets-cdk.out"))


def templates(outdir: Path) -> dict[str, dict[str, Any]]:
    return {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in outdir.glob("*.template.json")}


def stacksets(outdir: Path) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["StackSetName"]: r["Properties"] for t in templates(outdir).values()
            for r in t["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"}


def test_service_managed_stacksets_with_automatic_deployment(assembly: Path, config: FinOpsConfig) -> None:
    found = stacksets(assembly)
    assert set(found) == {*(f"aifinops-guard-{e}" for e in config.environments), "aifinops-budget-access"}
    for name, props in found.items():
        assert props["PermissionModel"] == "SERVICE_MANAGED" and props["AutoDeployment"]["Enabled"] is True, name
        assert props["CallAs"] == "SELF" and "CAPABILITY_NAMED_IAM" in props["Capabilities"]
        assert props["OperationPreferences"]["FailureTolerancePercentage"] == 10
        assert props["OperationPreferences"]["MaxConcurrentPercentage"] == 25
    for name, env in config.environments.items():
        [group] = found[f"aifinops-guard-{name}"]["StackInstancesGroup"]
        assert group["DeploymentTargets"]["OrganizationalUnitIds"] == list(env.ou_ids)
        assert group["DeploymentTargets"]["Accounts"] == list(env.accounts)
        assert group["DeploymentTargets"]["AccountFilterType"] == "UNION"
        assert group["Regions"] == list(config.organization.regions)
    [access] = found["aifinops-budget-access"]["StackInstancesGroup"]
    assert access["Regions"] == [config.organization.regions[0]]  # IAM is global
    assert sorted(access["DeploymentTargets"]["OrganizationalUnitIds"]) == sorted(
        ou for e in config.environments.values() for ou in e.ou_ids)


def test_no_per_account_stacks(assembly: Path) -> None:
    names = set(templates(assembly))
    assert not [n for n in names if n.startswith(("aifinops-guard-", "aifinops-budget-access-"))]
    assert {"aifinops-rollout", "aifinops-stackset-assets-us-east-1"} <= names


def test_the_guard_template_reads_its_code_from_the_regions_bucket_and_knows_its_environment(assembly: Path) -> None:
    [dev] = [json.loads(p.read_text()) for p in assembly.glob("*GuardTemplatedev*.stackset.template.json")]
    [function] = [r["Properties"] for r in dev["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert function["Code"]["S3Bucket"] == {"Fn::Join": ["-", ["aifinops-stackset-assets-111111111111",
                                                                {"Ref": "AWS::Region"}]]}
    assert (assembly / f"asset.{function['Code']['S3Key'].removesuffix('.zip')}" / "handler.py").is_file()
    assert function["Environment"]["Variables"]["AIFINOPS_GUARD_ENVIRONMENT"] == "dev"


def test_assets_are_readable_by_the_organization_only(assembly: Path) -> None:
    bucket_policy = next(r["Properties"]["PolicyDocument"] for r in
                         templates(assembly)["aifinops-stackset-assets-us-east-1"]["Resources"].values()
                         if r["Type"] == "AWS::S3::BucketPolicy")
    [read] = [s for s in bucket_policy["Statement"] if s.get("Sid") == "OrganizationReadsStackSetAssets"]
    assert read["Action"] == "s3:GetObject" and read["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}


def test_the_stacksets_execution_roles_may_deploy_and_nobody_may_forge_one(config: FinOpsConfig) -> None:
    scps = json.dumps(build_scps(stacksets_config(config)), default=str)
    assert "arn:aws:iam::*:role/stacksets-exec-*" in scps
    assert "stacksets-exec-" not in json.dumps(build_scps(config), default=str)  # stacks rollout: not needed


def test_a_delegated_administrator_manages_them(tmp_path: Path, config: FinOpsConfig) -> None:
    import aws_cdk as cdk

    from aifinops.infra.context import cdk_json_context
    from aifinops.infra.stackset_rollout import ROLLOUT_STACK, StackSetRolloutStack

    app = cdk.App(context=cdk_json_context(), outdir=str(tmp_path))
    stack = StackSetRolloutStack(app, ROLLOUT_STACK, config=stacksets_config(config, admin_account=ADMIN))
    app.synth()
    assert stack.account == ADMIN
    assert {p["CallAs"] for p in stacksets(tmp_path).values()} == {"DELEGATED_ADMIN"}


def test_rollout_defaults_to_stacksets_with_ous_and_needs_the_org_id() -> None:
    import yaml

    data = yaml.safe_load(REFERENCE_CONFIG.read_text())
    del data["organization"]["rollout"], data["organization"]["org_id"]
    with pytest.raises(ConfigError, match=r"organization\.org_id: rollout stacksets needs the organization's id"):
        parse(data)
    data["organization"]["org_id"] = ORG
    assert parse(data).rollout == "stacksets"
    for env in data["environments"].values():
        env.pop("ou_ids", None)
    assert parse(data).rollout == "stacks"


def test_the_security_review_passes_on_the_stacksets(tmp_path: Path) -> None:
    text = REFERENCE_CONFIG.read_text().replace("  rollout: stacks\n", "  rollout: stacksets\n")
    assert "rollout: stacksets" in text
    path = tmp_path / "finops.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["check", "--config", str(path), "--output", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output[-3000:]
    junit = (tmp_path / "reports" / "aifinops-check.junit.xml").read_text()
    assert junit.count(".stackset.template.json") > 0  # checkov and cfn-lint read the StackSet templates too


def test_stacksets_need_every_environment_s_ous() -> None:
    """Service-managed StackSets deploy to OUs: an environment of listed accounts only is refused, not synthesized
    into a StackSet CloudFormation would reject."""
    import yaml

    data = yaml.safe_load(REFERENCE_CONFIG.read_text())
    data["organization"]["rollout"] = "stacksets"
    del data["environments"]["staging"]["ou_ids"]
    with pytest.raises(ConfigError, match=r"environments\.staging\.ou_ids: rollout stacksets deploys the guard"):
        parse(data)
