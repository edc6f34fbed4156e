"""`GpuNotebook`: a SageMaker notebook instance on an accelerated type that stops itself when idle."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from importlib import resources

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from aifinops.config import Environment
from aifinops.constructs import nag_acks
from aifinops.constructs.capacity import record_capacity
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.gpu_notebook_rules import (
    CHECK_EVERY_MINUTES,
    PLATFORM_IDENTIFIER,
    NotebookProps,
    check_props,
)

SCRIPT_LIMIT = 16_384  # characters of base64 content per lifecycle script (API NotebookInstanceLifecycleHook)
LOG_GROUP = "/aws/sagemaker/NotebookInstances"  # lifecycle and jupyter.log streams, shared by all notebooks
AUTOSTOP_ACTIONS = ("sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance")
# What EBS asks of a principal that attaches a volume encrypted with a customer managed key.
VOLUME_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
                      "kms:ReEncryptFrom", "kms:ReEncryptTo")

# Runs as root at every start and must finish within 5 minutes: it only writes files and a cron entry
# (no download, no package install; the instance may have no internet). __X__ markers are replaced once.
ON_START_TEMPLATE = r"""#!/bin/bash
# aifinops GpuNotebook: stop this notebook instance after __IDLE_MINUTES__ idle minutes.
set -euo pipefail
IDLE_SECONDS=__IDLE_SECONDS__
SCRIPT=/usr/local/bin/aifinops-notebook-autostop.py
LOG=/var/log/jupyter.log  # SageMaker ships it to CloudWatch Logs: /aws/sagemaker/NotebookInstances

cat > "$SCRIPT" <<'AIFINOPS_AUTOSTOP_PY'
__AUTOSTOP_PY__AIFINOPS_AUTOSTOP_PY
chmod 0755 "$SCRIPT"

# The first Python with boto3, Jupyter's own environment first (as AWS's auto-stop-idle sample does).
PYTHON=""
for candidate in /home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python \
                 /home/ec2-user/anaconda3/bin/python3 /usr/bin/python3; do
  if [ -x "$candidate" ] && "$candidate" -c "import boto3" >/dev/null 2>&1; then
    PYTHON="$candidate"
    break
  fi
done
if [ -z "$PYTHON" ]; then
  echo "aifinops: no Python with boto3 here; refusing to start a GPU notebook without its idle auto-stop" >&2
  exit 1
fi

COMMAND="$PYTHON $SCRIPT --idle-seconds $IDLE_SECONDS >> $LOG 2>&1"
if command -v crontab >/dev/null 2>&1; then
  { crontab -l 2>/dev/null | grep -v aifinops-notebook-autostop || true
    echo "*/__EVERY__ * * * * $COMMAND"; } | crontab -
  systemctl start crond >/dev/null 2>&1 || true
else  # no cron on this image: a systemd timer on the same schedule
  printf '[Service]\nType=oneshot\nExecStart=/bin/sh -c "%s"\n' "$COMMAND" \
    > /etc/systemd/system/aifinops-notebook-autostop.service
  printf '[Timer]\nOnCalendar=*:0/__EVERY__\n[Install]\nWantedBy=timers.target\n' \
    > /etc/systemd/system/aifinops-notebook-autostop.timer
  systemctl daemon-reload
  systemctl enable --now aifinops-notebook-autostop.timer
fi
echo "aifinops: idle auto-stop installed: $PYTHON, stop after $IDLE_SECONDS s idle, checked every __EVERY__ minutes"
"""


class GpuNotebook(Construct):
    """A SageMaker notebook instance on an accelerated ``ml.*`` type, private by default, that stops
    itself once Jupyter has been idle for ``idle_minutes``.

    Example::

        import aws_cdk as cdk
        from aws_cdk import aws_ec2 as ec2
        from aifinops.config import Environment
        from aifinops.constructs import CostTags, GpuNotebook

        app = cdk.App()
        stack = cdk.Stack(app, "Research", env=cdk.Environment(account="222222222222", region="us-east-1"))
        vpc = ec2.Vpc(stack, "Vpc", nat_gateways=0, subnet_configuration=[
            ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
        # without internet, the auto-stop reaches the SageMaker API through this endpoint
        vpc.add_interface_endpoint("SageMakerApi", service=ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API)
        notebook = GpuNotebook(
            stack, "Notebook",
            cost_tags=CostTags(team="research", project="eval-harness", model="none",
                               environment="dev", task_type="analysis"),
            environment=Environment(max_model_tier="standard", accounts=("222222222222",),
                                    accelerators=("ml.g5",), max_training_hours=8),
            instance_type="ml.g5.xlarge", vpc=vpc, idle_minutes=45,
        )
        # grant data access with notebook.role.add_to_principal_policy(...)

    The on-start lifecycle script embeds the auto-stop (``notebook_autostop.py``; nothing is downloaded)
    and has cron run it every 5 minutes: it reads the local Jupyter server's sessions
    (``https://localhost:8443/api/sessions``) and terminals, and calls ``StopNotebookInstance`` when no
    kernel is busy and the latest kernel or terminal activity is older than ``idle_minutes`` (with no
    kernel and no terminal: the last start). An open browser tab does not count as activity. So a
    notebook stops between ``idle_minutes`` and ``idle_minutes + 5`` minutes after its last activity;
    its volume and files stay. Decisions go to ``/var/log/jupyter.log`` (CloudWatch Logs group
    ``/aws/sagemaker/NotebookInstances``). If the notebook's Python has no boto3, the start fails
    rather than run a GPU without its auto-stop.

    Networking: with ``direct_internet=False`` (the default) the notebook reaches AWS only through the
    given VPC, and the auto-stop needs the SageMaker API there: a VPC without internet needs an
    interface endpoint ``com.amazonaws.<region>.sagemaker.api`` (private DNS on) that the notebook's
    security group may reach on 443. Users get no root access (lifecycle scripts still run as root, so
    they cannot remove the auto-stop). The execution role may only stop and describe this notebook,
    write its logs and use the volume key: add what users need to ``role``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cost_tags: CostTags,
        environment: Environment,
        instance_type: str,
        idle_minutes: int = 60,
        direct_internet: bool = False,
        allow_internet_in_production: bool = False,
        vpc: ec2.IVpc | None = None,
        subnet_selection: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        volume_gib: int = 50,
        kms_key: kms.IKey | None = None,
    ) -> None:
        """
        :param cost_tags: tags for every resource of the notebook.
        :param environment: the finops.yaml environment it runs in: its ``accelerators`` must allow
            ``instance_type``; ``production`` refuses direct internet unless allowed explicitly.
        :param instance_type: an accelerated SageMaker type, e.g. ``ml.g5.xlarge``, offered for
            notebook instances on ``notebook-al2023-v1`` (no ``ml.p3``, ``ml.inf1``).
        :param idle_minutes: quiet minutes before the notebook stops, 10 to 1440. Default: 60. Below 10
            the 5-minute check would stop notebooks while users read between cells; above a day the
            auto-stop no longer bounds spend (the guard's notebook limits take over).
        :param direct_internet: SageMaker-provided internet access. Default: False - all traffic goes
            through ``vpc``, which is then required.
        :param allow_internet_in_production: say so to give a production notebook direct internet.
            Default: False.
        :param vpc: the VPC of the notebook's network interface. Default: none, allowed only with
            ``direct_internet=True``.
        :param subnet_selection: where in ``vpc``; the first selected subnet is used. Default: the
            VPC's private subnets.
        :param security_groups: up to 5 groups. Default: one new group, HTTPS out, nothing in.
        :param volume_gib: ML storage volume in GiB, 5 to 16384. Default: 50.
        :param kms_key: key of the ML storage volume. Default: a new customer managed key with yearly
            rotation (retained on stack deletion). A key of another account must allow this role.
        """
        super().__init__(scope, construct_id)
        raise_if_any(self, check_props(NotebookProps(
            instance_type=instance_type, idle_minutes=idle_minutes, direct_internet=direct_internet,
            allow_internet_in_production=allow_internet_in_production, has_vpc=vpc is not None,
            subnet_selection=subnet_selection, security_groups=security_groups, volume_gib=volume_gib), environment))
        subnet_id = self._subnet_id(vpc, subnet_selection)
        cost_tags.apply(self)
        stack = cdk.Stack.of(self)

        self.key: kms.IKey = kms_key if kms_key is not None else kms.Key(
            self, "VolumeKey", enable_key_rotation=True,
            description=f"ML storage volume of the GPU notebook {self.node.path}")
        self.role = iam.Role(self, "ExecutionRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                             description=f"GPU notebook {self.node.path}: auto-stop, logs, volume key")
        self.security_groups: list[ec2.ISecurityGroup] = list(security_groups) if security_groups else []
        if vpc is not None and not self.security_groups:
            group = ec2.SecurityGroup(self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
                                      description="GPU notebook: HTTPS out to AWS APIs, nothing in")
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (SageMaker, S3)")
            self.security_groups.append(group)

        self.on_start_script = on_start_script(idle_minutes)
        hook = sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
            content=base64.b64encode(self.on_start_script.encode()).decode())
        self.lifecycle_config = sagemaker.CfnNotebookInstanceLifecycleConfig(self, "AutoStop", on_start=[hook])
        self.notebook = sagemaker.CfnNotebookInstance(
            self, "Notebook", instance_type=instance_type, role_arn=self.role.role_arn,
            root_access="Disabled", direct_internet_access="Enabled" if direct_internet else "Disabled",
            platform_identifier=PLATFORM_IDENTIFIER, volume_size_in_gb=volume_gib, kms_key_id=self.key.key_arn,
            lifecycle_config_name=self.lifecycle_config.attr_notebook_instance_lifecycle_config_name,
            subnet_id=subnet_id,
            security_group_ids=[g.security_group_id for g in self.security_groups] or None,
            instance_metadata_service_configuration=sagemaker.CfnNotebookInstance
            .InstanceMetadataServiceConfigurationProperty(minimum_instance_metadata_service_version="2"))
        self.notebook_arn = self.notebook.attr_notebook_instance_arn
        self.notebook_name = self.notebook.attr_notebook_instance_name

        # Needed from the first boot on (lifecycle logs, the volume): in place before the notebook exists.
        log_group = stack.format_arn(service="logs", resource="log-group", resource_name=LOG_GROUP,
                                     arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        boot = iam.Policy(self, "BootPolicy", roles=[self.role], statements=[
            iam.PolicyStatement(sid="NotebookLogs", resources=[log_group, f"{log_group}:*"], actions=[
                "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]),
            iam.PolicyStatement(sid="VolumeKey", actions=list(VOLUME_KEY_ACTIONS), resources=[self.key.key_arn]),
            iam.PolicyStatement(sid="VolumeKeyGrants", actions=["kms:CreateGrant"], resources=[self.key.key_arn],
                                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
        ])
        self.notebook.node.add_dependency(boot)
        nag_acks.acknowledge(boot, nag_acks.AWS_SOLUTIONS, "IAM5", nag_acks.NOTEBOOK_LOG_STREAMS,
                             f"Resource::{nag_acks.nag_text(stack, log_group)}:*")
        # This notebook's ARN only; the auto-stop's first check runs 5 minutes after the start.
        iam.Policy(self, "AutoStopPolicy", roles=[self.role], statements=[iam.PolicyStatement(
            sid="StopThisNotebookWhenIdle", actions=list(AUTOSTOP_ACTIONS), resources=[self.notebook_arn])])

        record_capacity(self.notebook, workload=construct_id, instance_type=instance_type, min_instances=0,
                        max_instances=1, note=f"stops after {idle_minutes} idle minutes")
        cdk.CfnOutput(self, "NotebookName", value=self.notebook_name,
                      description=f"{instance_type} notebook; stops after {idle_minutes} idle minutes")

    def _subnet_id(self, vpc: ec2.IVpc | None, selection: ec2.SubnetSelection | None) -> str | None:
        if vpc is None:
            return None
        try:
            fields = ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnet_type",
                      "subnets")
            chosen = {f: getattr(selection, f) for f in fields} if selection else {}
            subnet_ids = vpc.select_subnets(**chosen).subnet_ids
        except RuntimeError as error:  # jsii's form of the CDK's "no such subnet group"
            subnet_ids, reason = [], str(error)
        else:
            reason = "no subnet matched"
        if not subnet_ids:
            raise_if_any(self, [PropProblem("AIF_NOTEBOOK_SUBNET", "subnet_selection", selection,
                                            f"a selection of at least one subnet of the VPC ({reason})")])
        return str(subnet_ids[0])


def on_start_script(idle_minutes: int) -> str:
    """The on-start lifecycle script: writes the auto-stop and schedules it. `idle_minutes` must be an int."""
    autostop = resources.files("aifinops.constructs").joinpath("notebook_autostop.py").read_text(encoding="utf-8")
    return (ON_START_TEMPLATE
            .replace("__IDLE_SECONDS__", f"{idle_minutes * 60:d}")
            .replace("__IDLE_MINUTES__", f"{idle_minutes:d}")
            .replace("__EVERY__", f"{CHECK_EVERY_MINUTES:d}")
            .replace("__AUTOSTOP_PY__", autostop if autostop.endswith("\n") else autostop + "\n"))
