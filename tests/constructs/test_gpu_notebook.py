"""GpuNotebook: private, rootless, encrypted, least-privilege, and an embedded auto-stop that really decides."""

from __future__ import annotations

import ast
import base64
import json
import re
import shutil
import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from aifinops.config import Environment
from aifinops.constructs import ConstructPropError, CostTags, gpu_notebook_rules, notebook_autostop
from aifinops.constructs.gpu_notebook import SCRIPT_LIMIT, GpuNotebook, on_start_script
from aifinops.infra.context import cdk_json_context

TAGS = CostTags(team="research", project="eval-harness", model="none", environment="dev", task_type="analysis")
DEV = Environment(max_model_tier="standard", accounts=("222222222222",), accelerators=("ml.g4dn", "ml.g5"),
                  max_training_hours=8)
PROD = Environment(max_model_tier="premium", accounts=("444444444444",), production=True,
                   accelerators=("ml.g5",), max_training_hours=72)
ENV = cdk.Environment(account="222222222222", region="us-east-1")
NOW = datetime(2026, 9, 24, 12, 0, tzinfo=UTC)
HOUR = 3600
SUBNET = "subnet-0123456789abcdef0"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def make_stack(*, with_vpc: bool = True, **props: Any) -> tuple[cdk.Stack, GpuNotebook]:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Stack", env=ENV)
    kwargs: dict[str, Any] = {"cost_tags": TAGS, "environment": DEV, "instance_type": "ml.g5.xlarge", **props}
    if with_vpc and "vpc" not in props:
        kwargs["vpc"] = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
            ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    return stack, GpuNotebook(stack, "Notebook", **kwargs)


@pytest.fixture(scope="module")
def built() -> tuple[cdk.Stack, GpuNotebook]:
    stack, notebook = make_stack()
    cdk.Stage.of(stack).synth()  # runs the built-in CloudFormation schema validation
    return stack, notebook


@pytest.fixture(scope="module")
def template(built: tuple[cdk.Stack, GpuNotebook]) -> Template:
    return Template.from_stack(built[0])


def logical_id(stack: cdk.Stack, resource: Any) -> str:
    return str(stack.resolve(resource.logical_id))


def on_start_of(template: Template) -> str:
    [config] = template.find_resources("AWS::SageMaker::NotebookInstanceLifecycleConfig").values()
    [hook] = config["Properties"]["OnStart"]
    assert "OnCreate" not in config["Properties"]
    return base64.b64decode(hook["Content"]).decode()


def embedded_python(script: str) -> str:
    match = re.search(r"<<'AIFINOPS_AUTOSTOP_PY'\n(.*?\n)AIFINOPS_AUTOSTOP_PY\n", script, re.DOTALL)
    assert match, "the on-start script writes the auto-stop from a quoted heredoc"
    return match.group(1)


# --- the notebook -----------------------------------------------------------------------------------------

def test_notebook_is_private_rootless_encrypted_and_auto_stopping(
        built: tuple[cdk.Stack, GpuNotebook], template: Template) -> None:
    stack, notebook = built
    template.has_resource_properties("AWS::SageMaker::NotebookInstance", {
        "InstanceType": "ml.g5.xlarge",
        "RootAccess": "Disabled",
        "DirectInternetAccess": "Disabled",
        "PlatformIdentifier": "notebook-al2023-v1",
        "VolumeSizeInGB": 50,
        "KmsKeyId": {"Fn::GetAtt": [logical_id(stack, notebook.key.node.default_child), "Arn"]},
        "LifecycleConfigName": {"Fn::GetAtt": [logical_id(stack, notebook.lifecycle_config),
                                               "NotebookInstanceLifecycleConfigName"]},
        "SubnetId": {"Ref": Match.string_like_regexp("^VpcprivateSubnet1")},
        "SecurityGroupIds": [{"Fn::GetAtt": [Match.string_like_regexp("^NotebookSecurityGroup"), "GroupId"]}],
        "RoleArn": {"Fn::GetAtt": [Match.string_like_regexp("^NotebookExecutionRole"), "Arn"]},
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    })


def test_volume_key_is_customer_managed_and_rotated(template: Template) -> None:
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource("AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True},
                                            "DeletionPolicy": "Retain"})


def test_security_group_allows_https_out_and_nothing_in(template: Template) -> None:
    [group] = template.find_resources("AWS::EC2::SecurityGroup").values()
    props = group["Properties"]
    assert "SecurityGroupIngress" not in props
    assert props["SecurityGroupEgress"] == [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs (SageMaker, S3)",
                                             "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}]
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)


def test_capacity_is_recorded_for_the_report(built: tuple[cdk.Stack, GpuNotebook], template: Template) -> None:
    stack, notebook = built
    resource = template.to_json()["Resources"][logical_id(stack, notebook.notebook)]
    assert resource["Metadata"]["aifinops:capacity"] == {
        "workload": "Notebook", "instanceType": "ml.g5.xlarge", "minInstances": 0, "maxInstances": 1,
        "note": "stops after 60 idle minutes"}


def test_every_taggable_resource_carries_every_cost_tag(built: tuple[cdk.Stack, GpuNotebook],
                                                        template: Template) -> None:
    stack, notebook = built
    resources = template.to_json()["Resources"]
    tagged = set()
    for child in notebook.node.find_all():
        if isinstance(child, cdk.CfnResource) and (
                cdk.TagManager.is_taggable(child) or cdk.TagManager.is_taggable_v2(child)):
            resource = resources[logical_id(stack, child)]
            tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
            assert tags == TAGS.as_dict(), resource["Type"]
            tagged.add(resource["Type"])
    assert tagged == {"AWS::SageMaker::NotebookInstance", "AWS::SageMaker::NotebookInstanceLifecycleConfig",
                      "AWS::IAM::Role", "AWS::KMS::Key", "AWS::EC2::SecurityGroup"}


# --- least privilege -------------------------------------------------------------------------------------

def policies(template: Template) -> dict[str, list[dict[str, Any]]]:
    return {logical: p["Properties"]["PolicyDocument"]["Statement"]
            for logical, p in template.find_resources("AWS::IAM::Policy").items()}


def test_auto_stop_may_stop_and_describe_only_this_notebook(built: tuple[cdk.Stack, GpuNotebook],
                                                            template: Template) -> None:
    stack, notebook = built
    sagemaker_statements = [s for statements in policies(template).values() for s in statements
                            if any(str(a).startswith("sagemaker:") for a in _list(s["Action"]))]
    assert sagemaker_statements == [{
        "Sid": "StopThisNotebookWhenIdle", "Effect": "Allow",
        "Action": ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"],
        "Resource": {"Fn::GetAtt": [logical_id(stack, notebook.notebook), "NotebookInstanceArn"]},
    }]


def test_role_has_no_managed_policies_and_no_wildcard_resources(template: Template) -> None:
    [role] = template.find_resources("AWS::IAM::Role", {"Properties": {"AssumeRolePolicyDocument": {
        "Statement": [{"Principal": {"Service": "sagemaker.amazonaws.com"}}]}}}).values()
    assert "ManagedPolicyArns" not in role["Properties"] and "Policies" not in role["Properties"]
    for statements in policies(template).values():
        for statement in statements:
            assert statement["Effect"] == "Allow"
            assert "*" not in _list(statement["Resource"])
            assert not any(a.endswith("*") for a in _list(statement["Action"]))


def test_logs_and_key_are_granted_before_the_notebook_exists(built: tuple[cdk.Stack, GpuNotebook],
                                                             template: Template) -> None:
    stack, notebook = built
    key = {"Fn::GetAtt": [logical_id(stack, notebook.key.node.default_child), "Arn"]}
    group = "arn:aws:logs:us-east-1:222222222222:log-group:/aws/sagemaker/NotebookInstances"
    [boot] = [logical for logical, statements in policies(template).items()
              if [s["Sid"] for s in statements] == ["NotebookLogs", "VolumeKey", "VolumeKeyGrants"]]
    logs, volume, grants = policies(template)[boot]
    assert logs["Resource"] == [group, f"{group}:*"]
    assert logs["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams",
                              "logs:PutLogEvents"]
    assert volume["Resource"] == key and grants["Resource"] == key
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    resource = template.to_json()["Resources"][logical_id(stack, notebook.notebook)]
    assert boot in resource["DependsOn"]


@pytest.mark.parametrize("env", [ENV, None], ids=["env", "env-agnostic"])
def test_aws_solutions_pass_with_one_reasoned_acknowledgement(tmp_path: Path, env: cdk.Environment | None) -> None:
    import cdk_nag

    app = cdk.App(context=cdk_json_context(), outdir=str(tmp_path))
    stack = cdk.Stack(app, "Stack", env=env)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    cdk.Validations.of(vpc).acknowledge(cdk.Acknowledgment(id="AwsSolutions::AwsSolutions-VPC7",
                                                           reason="test VPC, not part of the construct"))
    GpuNotebook(stack, "Notebook", cost_tags=TAGS, environment=DEV, instance_type="ml.g5.xlarge", vpc=vpc)
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    app.synth()  # raises on any unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    text = json.dumps(report)
    assert "AwsSolutions-IAM5[Resource::" in text and "/aws/sagemaker/NotebookInstances:*" in text
    assert "one stream per notebook and hook" in text


# --- the lifecycle configuration --------------------------------------------------------------------------

def test_on_start_installs_the_embedded_auto_stop_in_cron(template: Template) -> None:
    script = on_start_of(template)
    assert script.startswith("#!/bin/bash\n")
    assert "IDLE_SECONDS=3600\n" in script
    assert 'echo "*/5 * * * * $COMMAND"; } | crontab -' in script
    assert 'COMMAND="$PYTHON $SCRIPT --idle-seconds $IDLE_SECONDS >> $LOG 2>&1"' in script
    assert "/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python" in script
    python = embedded_python(script)
    assert 'JUPYTER = "https://localhost:8443"' in python and 'jupyter_get("/api/sessions")' in python
    assert "client.stop_notebook_instance(NotebookInstanceName=name)" in python
    assert '"/opt/ml/metadata/resource-metadata.json"' in python
    # no network at boot: nothing is downloaded or installed (the notebook may have no internet)
    assert not re.search(r"\b(wget|curl|pip|conda|yum|dnf)\b", script.replace(python, ""))
    assert "import requests" not in python


def test_on_start_is_valid_bash(template: Template) -> None:
    bash = shutil.which("bash")
    assert bash
    subprocess.run([bash, "-n"], input=on_start_of(template), text=True, check=True)


def run_on_start(script: str, root: Path, *, with_cron: bool = True,
                 python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    """Run the on-start script with its system paths moved under `root` and cron/systemctl stubbed."""
    for folder in ("bin", "stubs", "systemd"):
        (root / folder).mkdir(exist_ok=True)
    stubs = {"systemctl": 'echo "systemctl $*" >> "$ROOT/systemctl.log"\n'}
    if with_cron:
        stubs["crontab"] = 'if [ "$1" = -l ]; then cat "$ROOT/crontab" 2>/dev/null; else cat > "$ROOT/crontab"; fi\n'
    for name, body in stubs.items():
        (root / "stubs" / name).write_text(f"#!/bin/bash\n{body}")
        (root / "stubs" / name).chmod(0o755)
    script = (script.replace("/usr/local/bin/", f"{root}/bin/").replace("/var/log/", f"{root}/")
              .replace("/etc/systemd/system/", f"{root}/systemd/")
              .replace("/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python", python))
    return subprocess.run(["/bin/bash", "-c", script], text=True, capture_output=True, check=False,
                          env={"PATH": f"{root}/stubs:/usr/bin:/bin", "ROOT": str(root)})


def test_on_start_writes_the_script_and_one_cron_entry(template: Template, tmp_path: Path) -> None:
    for _ in range(2):  # a second start must not add a second entry
        result = run_on_start(on_start_of(template), tmp_path)
        assert result.returncode == 0, result.stderr
    written = tmp_path / "bin" / "aifinops-notebook-autostop.py"
    assert written.read_text() == Path(notebook_autostop.__file__).read_text(encoding="utf-8")
    assert (tmp_path / "crontab").read_text() == (
        f"*/5 * * * * {sys.executable} {written} --idle-seconds 3600 >> {tmp_path}/jupyter.log 2>&1\n")
    assert "checked every 5 minutes" in result.stdout


def test_on_start_falls_back_to_a_systemd_timer_without_cron(template: Template, tmp_path: Path) -> None:
    result = run_on_start(on_start_of(template), tmp_path, with_cron=False)
    assert result.returncode == 0, result.stderr
    assert "OnCalendar=*:0/5\n" in (tmp_path / "systemd" / "aifinops-notebook-autostop.timer").read_text()
    service = (tmp_path / "systemd" / "aifinops-notebook-autostop.service").read_text()
    assert f"--idle-seconds 3600 >> {tmp_path}/jupyter.log 2>&1" in service
    assert "systemctl enable --now aifinops-notebook-autostop.timer" in (tmp_path / "systemctl.log").read_text()


def test_on_start_fails_without_a_python_that_has_boto3(template: Template, tmp_path: Path) -> None:
    script = on_start_of(template).replace("/home/ec2-user/anaconda3/bin/python3", "/nonexistent/python3")
    script = script.replace("/usr/bin/python3", "/nonexistent/python3")
    result = run_on_start(script, tmp_path, python="/nonexistent/python")
    assert result.returncode == 1
    assert "no Python with boto3" in result.stderr and not (tmp_path / "crontab").exists()


def test_embedded_script_is_the_package_module_unchanged(template: Template) -> None:
    source = Path(notebook_autostop.__file__).read_text(encoding="utf-8")
    assert embedded_python(on_start_of(template)) == source
    assert "\nAIFINOPS_AUTOSTOP_PY\n" not in source
    ast.parse(source, feature_version=(3, 9))  # the notebook's system Python may be 3.9


@pytest.mark.parametrize("minutes", [10, 45, 1440])
def test_idle_threshold_is_written_as_seconds(minutes: int) -> None:
    script = on_start_script(minutes)
    assert f"\nIDLE_SECONDS={minutes * 60}\n" in script
    assert f"stop this notebook instance after {minutes} idle minutes" in script


def test_lifecycle_content_fits_the_16384_character_limit(template: Template) -> None:
    [config] = template.find_resources("AWS::SageMaker::NotebookInstanceLifecycleConfig").values()
    assert SCRIPT_LIMIT == 16_384
    assert len(config["Properties"]["OnStart"][0]["Content"]) <= SCRIPT_LIMIT
    longest = base64.b64encode(on_start_script(1440).encode())
    assert len(longest) <= SCRIPT_LIMIT - 2048, "keep headroom for changes"


# --- the auto-stop's decision, run from the embedded text ---------------------------------------------------

@pytest.fixture(scope="module")
def embedded(template: Template) -> types.SimpleNamespace:
    namespace: dict[str, Any] = {"__name__": "embedded_autostop"}  # not __main__: main() does not run
    exec(compile(embedded_python(on_start_of(template)), "embedded_autostop", "exec"), namespace)
    return types.SimpleNamespace(**namespace)


def kernel(state: str, ago: float | None, name: str = "python3") -> dict[str, Any]:
    stamp = None if ago is None else (NOW - timedelta(seconds=ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"id": "s1", "path": "a.ipynb", "kernel": {"name": name, "execution_state": state,
                                                      "last_activity": stamp, "connections": 1}}


def terminal(ago: float) -> dict[str, Any]:
    return {"name": "1", "last_activity": (NOW - timedelta(seconds=ago)).isoformat()}


@pytest.mark.parametrize(("sessions", "terminals", "started", "stop"), [
    ([kernel("idle", HOUR + 1)], [], None, True),
    ([kernel("idle", HOUR - 1)], [], None, False),
    ([kernel("busy", 5 * HOUR)], [], None, False),
    ([kernel("starting", 5 * HOUR)], [], None, False),
    ([kernel("dead", 2 * HOUR)], [], None, True),
    ([kernel("idle", 2 * HOUR), kernel("idle", 60, "pytorch")], [], None, False),
    ([kernel("idle", 2 * HOUR), kernel("busy", 2 * HOUR)], [], None, False),
    ([kernel("idle", 2 * HOUR)], [terminal(120)], None, False),
    ([kernel("idle", 2 * HOUR)], [terminal(2 * HOUR)], None, True),
    ([kernel("idle", None)], [], None, False),
    ([], [], NOW - timedelta(hours=2), True),
    ([], [], NOW - timedelta(minutes=10), False),
    ([], [], None, False),
])
def test_idle_decision(embedded: types.SimpleNamespace, sessions: list[Any], terminals: list[Any],
                       started: datetime | None, stop: bool) -> None:
    decided, reason = embedded.idle_decision(sessions, terminals, NOW, HOUR, started)
    assert decided is stop, reason
    assert reason


@pytest.mark.parametrize("text", ["2026-09-24T11:00:00Z", "2026-09-24T11:00:00.000123Z",
                                  "2026-09-24T11:00:00+00:00", "2026-09-24T13:00:00+02:00"])
def test_jupyter_timestamps_are_read_as_utc(embedded: types.SimpleNamespace, text: str) -> None:
    assert embedded.parse_time(text).replace(microsecond=0) == datetime(2026, 9, 24, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", [None, "", "yesterday", 12])
def test_unreadable_timestamps_are_none(embedded: types.SimpleNamespace, text: object) -> None:
    assert embedded.parse_time(text) is None


class FakeSageMaker:
    def __init__(self, started: datetime) -> None:
        self.started = started
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.region: str | None = None

    def describe_notebook_instance(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("describe", kwargs))
        return {"LastModifiedTime": self.started}

    def stop_notebook_instance(self, **kwargs: Any) -> None:
        self.calls.append(("stop", kwargs))


@pytest.fixture
def on_notebook(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """main() as cron runs it, with the metadata file, the Jupyter API and boto3 faked."""
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceName": "nb-1", "ResourceArn":
                                    "arn:aws:sagemaker:eu-west-1:222222222222:notebook-instance/nb-1"}))
    monkeypatch.setattr(notebook_autostop, "METADATA", str(metadata))

    def run(sessions: Any, started: datetime, terminals: Any = ()) -> tuple[int, FakeSageMaker]:
        client = FakeSageMaker(started)

        def fake_client(service: str, region_name: str) -> FakeSageMaker:
            assert service == "sagemaker"
            client.region = region_name
            return client

        def jupyter_get(path: str, missing_ok: bool = False) -> Any:
            if isinstance(sessions, Exception):
                raise sessions
            return {"/api/sessions": list(sessions), "/api/terminals": list(terminals)}[path]

        monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=fake_client))
        monkeypatch.setattr(notebook_autostop, "jupyter_get", jupyter_get)
        return notebook_autostop.main(["--idle-seconds", "600"]), client

    return run


def test_main_stops_an_idle_notebook_in_its_own_region(on_notebook: Any) -> None:
    code, client = on_notebook([], started=datetime.now(UTC) - timedelta(hours=1))
    assert code == 0 and client.region == "eu-west-1"
    assert client.calls == [("describe", {"NotebookInstanceName": "nb-1"}),
                            ("stop", {"NotebookInstanceName": "nb-1"})]


def test_main_leaves_a_busy_notebook_alone_without_calling_aws(on_notebook: Any) -> None:
    busy = [{"kernel": {"name": "python3", "execution_state": "busy", "last_activity": "2020-01-01T00:00:00Z"}}]
    code, client = on_notebook(busy, started=datetime.now(UTC) - timedelta(hours=1))
    assert code == 0 and client.calls == []


def test_main_never_stops_when_jupyter_cannot_be_read(on_notebook: Any) -> None:
    code, client = on_notebook(OSError("connection refused"), started=datetime.now(UTC) - timedelta(days=1))
    assert code == 1 and client.calls == []


# --- other shapes -----------------------------------------------------------------------------------------

def test_direct_internet_outside_production_needs_no_vpc() -> None:
    stack, _ = make_stack(with_vpc=False, direct_internet=True, idle_minutes=30, volume_gib=100)
    props = Template.from_stack(stack).find_resources("AWS::SageMaker::NotebookInstance")
    [notebook] = [n["Properties"] for n in props.values()]
    assert notebook["DirectInternetAccess"] == "Enabled" and notebook["VolumeSizeInGB"] == 100
    assert "SubnetId" not in notebook and "SecurityGroupIds" not in notebook


def test_production_internet_when_chosen_explicitly() -> None:
    stack, _ = make_stack(environment=PROD, direct_internet=True, allow_internet_in_production=True)
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::NotebookInstance",
                                                       {"DirectInternetAccess": "Enabled"})


def test_imported_vpc_key_and_security_group_are_used() -> None:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Stack", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Network", vpc_id="vpc-0123456789abcdef0",
                                      availability_zones=["us-east-1a"], private_subnet_ids=[SUBNET])
    group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123456789abcdef0")
    key = kms.Key.from_key_arn(stack, "Key", f"arn:aws:kms:us-east-1:222222222222:key/{KEY_ID}")
    GpuNotebook(stack, "Notebook", cost_tags=TAGS, environment=DEV, instance_type="ml.g4dn.xlarge", vpc=vpc,
                security_groups=[group], kms_key=key)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SageMaker::NotebookInstance", {
        "SubnetId": SUBNET, "SecurityGroupIds": ["sg-0123456789abcdef0"], "KmsKeyId": key.key_arn})
    template.resource_count_is("AWS::KMS::Key", 0)
    template.resource_count_is("AWS::EC2::SecurityGroup", 0)


def test_unresolved_instance_type_skips_the_type_checks() -> None:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Stack", env=ENV)
    parameter = cdk.CfnParameter(stack, "InstanceType", default="ml.g5.xlarge")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    GpuNotebook(stack, "Notebook", cost_tags=TAGS, environment=DEV, instance_type=parameter.value_as_string, vpc=vpc)


# --- validation ------------------------------------------------------------------------------------------

P3_ENV = DEV.model_copy(update={"accelerators": ("ml.p3", "ml.g5")})


@pytest.mark.parametrize(("props", "code", "prop"), [
    ({"instance_type": "g5.xlarge"}, "AIF_INSTANCE_TYPE", "instance_type"),
    ({"instance_type": "ml.m5.xlarge"}, "AIF_INSTANCE_TYPE", "instance_type"),
    ({"instance_type": "ml.g5"}, "AIF_INSTANCE_TYPE", "instance_type"),
    ({"instance_type": "ml.g5.3xlarge"}, "AIF_INSTANCE_TYPE", "instance_type"),
    ({"instance_type": "ml.g6.xlarge"}, "AIF_INSTANCE_TYPE_NOT_ALLOWED", "instance_type"),
    ({"instance_type": "ml.p3.2xlarge", "environment": P3_ENV}, "AIF_NOTEBOOK_INSTANCE_TYPE", "instance_type"),
    ({"idle_minutes": 9}, "AIF_IDLE_MINUTES", "idle_minutes"),
    ({"idle_minutes": 1441}, "AIF_IDLE_MINUTES", "idle_minutes"),
    ({"idle_minutes": True}, "AIF_IDLE_MINUTES", "idle_minutes"),
    ({"idle_minutes": 30.5}, "AIF_IDLE_MINUTES", "idle_minutes"),
    ({"idle_minutes": cdk.Token.as_number({"Ref": "IdleMinutes"})}, "AIF_IDLE_MINUTES", "idle_minutes"),
    ({"volume_gib": 4}, "AIF_VOLUME_GIB", "volume_gib"),
    ({"volume_gib": 16_385}, "AIF_VOLUME_GIB", "volume_gib"),
    ({"with_vpc": False}, "AIF_NOTEBOOK_VPC_REQUIRED", "vpc"),
    ({"with_vpc": False, "direct_internet": True, "subnet_selection": ec2.SubnetSelection()},
     "AIF_NOTEBOOK_NETWORK_WITHOUT_VPC", "subnet_selection"),
    ({"security_groups": []}, "AIF_NOTEBOOK_SECURITY_GROUPS", "security_groups"),
    ({"environment": PROD, "direct_internet": True}, "AIF_INTERNET_IN_PRODUCTION", "direct_internet"),
    ({"subnet_selection": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)}, "AIF_NOTEBOOK_SUBNET",
     "subnet_selection"),
])
def test_each_rule_fails_with_code_path_and_prop(props: dict[str, Any], code: str, prop: str) -> None:
    with pytest.raises(ConstructPropError) as caught:
        make_stack(**props)
    assert [p.code for p in caught.value.problems] == [code]
    assert str(caught.value).startswith(f"[{code}] Stack/Notebook: prop '{prop}': received ")


def test_messages_say_what_is_allowed() -> None:
    with pytest.raises(ConstructPropError) as caught:
        make_stack(instance_type="ml.g6.xlarge", idle_minutes=5, volume_gib=1)
    message = str(caught.value)
    assert "received 'ml.g6.xlarge'; allowed: the environment's accelerators: ml.g4dn, ml.g5" in message
    assert "received 5; allowed: a whole number of minutes from 10 to 1440" in message
    assert "received 1; allowed: a whole number from 5 to 16384" in message
    assert [p.code for p in caught.value.problems] == [
        "AIF_INSTANCE_TYPE_NOT_ALLOWED", "AIF_IDLE_MINUTES", "AIF_VOLUME_GIB"]


def test_p3_message_names_the_platform_and_the_offered_families() -> None:
    with pytest.raises(ConstructPropError) as caught:
        make_stack(instance_type="ml.p3.2xlarge", environment=P3_ENV)
    message = str(caught.value)
    assert "notebook-al2023-v1 notebook instances" in message and "ml.g5" in message and "ml.p3," not in message


def test_security_group_count_is_bounded() -> None:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Stack", env=ENV)
    groups = [ec2.SecurityGroup.from_security_group_id(stack, f"G{i}", f"sg-{i}") for i in range(6)]
    with pytest.raises(ConstructPropError, match=r"\[AIF_NOTEBOOK_SECURITY_GROUPS\] Stack/Notebook"):
        make_stack(security_groups=groups)


def test_bounds_come_from_the_finops_yaml_schema() -> None:
    assert gpu_notebook_rules._bounds("idle_minutes") == (10, 1440)
    assert gpu_notebook_rules._bounds("volume_gib") == (5, 16_384)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
