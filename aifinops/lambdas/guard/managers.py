"""Instances another service launched and keeps at a desired count. Stopping one directly only makes its manager
replace it (an Auto Scaling group marks it unhealthy and launches another, Karpenter drains and terminates the
node), so the guard never stops or marks them: it reports them with their manager's name, and the owner acts on
the manager (scale the group or node pool down, delete the fleet).

Only `aws:` tags prove a manager: AWS refuses user tags with that prefix, so nobody can make an instance immune by
tagging it `eks:nodegroup-name` or `karpenter.sh/nodepool` (any user may write those). Every manager of accelerated
capacity ends in one of them: EKS managed node groups, AWS Batch, ECS capacity providers and Elastic Beanstalk run
Auto Scaling groups (`aws:autoscaling:groupName`); Karpenter and EKS Auto Mode launch with EC2 Fleet
(`aws:ec2:fleet-id`); Spot Fleet (`aws:ec2spot:fleet-request-id`); EMR (`aws:elasticmapreduce:job-flow-id`). The
other managers' own tags only name the manager better. CloudFormation's `aws:cloudformation:*` tags are not a
manager: a stack does not replace a stopped instance.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["AWS_MANAGER_NAMESPACES", "AWS_MANAGER_TAGS", "MANAGER_TAGS", "manager_of"]

# The tags AWS itself writes on the instances a manager launches (users cannot write `aws:` tags): the proof.
AWS_MANAGER_TAGS = {
    "aws:autoscaling:groupName": "Auto Scaling group",
    "aws:ec2:fleet-id": "EC2 Fleet",
    "aws:ec2spot:fleet-request-id": "Spot Fleet request",
    "aws:elasticmapreduce:job-flow-id": "EMR cluster",
}
# Any other `aws:` tag of a service that launches and replaces instances is a proof too (EKS writes
# `aws:eks:cluster-name`, EMR `aws:elasticmapreduce:instance-group-role`, ...): compared without case, since
# nobody but AWS can write an `aws:` key, whatever its spelling.
AWS_MANAGER_NAMESPACES: tuple[tuple[str, str], ...] = (
    ("aws:autoscaling:", "Auto Scaling group"),
    ("aws:ec2:fleet-id", "EC2 Fleet"),
    ("aws:ec2fleet:", "EC2 Fleet"),
    ("aws:ec2spot:", "Spot Fleet request"),
    ("aws:elasticmapreduce:", "EMR cluster"),
    ("aws:emr-containers:", "EMR on EKS"),
    ("aws:eks:", "EKS cluster"),
    ("aws:batch:", "AWS Batch compute environment"),
    ("aws:ecs:", "ECS cluster"),
    ("aws:elasticbeanstalk:", "Elastic Beanstalk environment"),
)
# (tag key, what it names): the manager behind the proof, named better (never a proof on its own).
MANAGER_TAGS: tuple[tuple[str, str], ...] = (
    ("eks:nodegroup-name", "EKS managed node group"),
    ("eks:kubernetes-node-pool-name", "EKS Auto Mode node pool"),
    ("karpenter.sh/nodepool", "Karpenter node pool"),
    ("karpenter.sh/provisioner-name", "Karpenter provisioner"),
    ("AWSBatchServiceTag", "AWS Batch compute environment"),
    ("elasticbeanstalk:environment-name", "Elastic Beanstalk environment"),
    ("AmazonECSManaged", "ECS capacity provider"),
)
_PARALLELCLUSTER_NODE = "parallelcluster:node-type"
_PARALLELCLUSTER_NAME = "parallelcluster:cluster-name"


def manager_of(tags: Mapping[str, str]) -> str | None:
    """`<manager> '<name>'` for an instance a manager keeps running, e.g. "Auto Scaling group 'gpu-asg'"; None for
    a standalone instance (no `aws:` manager tag with a value)."""
    proof = _proof(tags)
    if proof is None:
        return None
    for key, label in MANAGER_TAGS:
        value = tags.get(key, "").strip()
        if value:
            return f"{label} '{value}' ({proof})"
    if tags.get(_PARALLELCLUSTER_NODE, "").strip().lower() == "compute":
        return f"ParallelCluster compute fleet '{tags.get(_PARALLELCLUSTER_NAME, '').strip()}' ({proof})"
    return proof


def _proof(tags: Mapping[str, str]) -> str | None:
    """The manager an `aws:` tag names: the well-known keys first (they name the group, fleet or cluster), then any
    key of a manager's namespace."""
    lowered = {key.strip().lower(): value.strip() for key, value in tags.items() if value and value.strip()}
    for key, label in AWS_MANAGER_TAGS.items():
        if lowered.get(key.lower()):
            return f"{label} '{lowered[key.lower()]}'"
    for key, value in sorted(lowered.items()):
        named = next((label for space, label in AWS_MANAGER_NAMESPACES if key.startswith(space)), None)
        if named is not None:
            return f"{named} '{value}'"
    return None
