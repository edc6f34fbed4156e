"""Instances another service launched and keeps at a desired count. Stopping one directly only makes its manager
replace it (an Auto Scaling group marks it unhealthy and launches another, Karpenter drains and terminates the
node), so the guard never stops or marks them: it reports them with their manager's name, and the owner acts on
the manager (scale the group or node pool down, delete the fleet).

The tags each manager puts on the instances it launches (AWS documentation of each service; AWS Batch and ECS
capacity providers run on Auto Scaling groups or fleets and add `AWSBatchServiceTag` / `AmazonECSManaged`;
ParallelCluster's head node is not replaced, its compute nodes are). CloudFormation's `aws:cloudformation:*` tags
are not here: a stack does not replace a stopped instance.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MANAGER_TAGS", "manager_of"]

# (tag key, what it names), most specific first: an EKS node group also carries its Auto Scaling group's tag.
MANAGER_TAGS: tuple[tuple[str, str], ...] = (
    ("eks:nodegroup-name", "EKS managed node group"),
    ("eks:kubernetes-node-pool-name", "EKS Auto Mode node pool"),
    ("karpenter.sh/nodepool", "Karpenter node pool"),
    ("karpenter.sh/provisioner-name", "Karpenter provisioner"),
    ("aws:elasticmapreduce:job-flow-id", "EMR cluster"),
    ("AWSBatchServiceTag", "AWS Batch compute environment"),
    ("elasticbeanstalk:environment-name", "Elastic Beanstalk environment"),
    ("aws:autoscaling:groupName", "Auto Scaling group"),
    ("aws:ec2spot:fleet-request-id", "Spot Fleet request"),
    ("aws:ec2:fleet-id", "EC2 Fleet"),
    ("AmazonECSManaged", "ECS capacity provider"),
)
_PARALLELCLUSTER_NODE = "parallelcluster:node-type"
_PARALLELCLUSTER_NAME = "parallelcluster:cluster-name"


def manager_of(tags: Mapping[str, str]) -> str | None:
    """`<manager> '<name>'` for an instance a manager keeps running, e.g. "Auto Scaling group 'gpu-asg'"; None for
    a standalone instance. The Auto Scaling group's name is added when a more specific manager runs on one."""
    group = tags.get("aws:autoscaling:groupName")
    for key, label in MANAGER_TAGS:
        value = tags.get(key)
        if value is None:
            continue
        name = f"{label} '{value}'" if value.strip() else label
        if group and key != "aws:autoscaling:groupName":
            name += f" (Auto Scaling group '{group}')"
        return name
    if tags.get(_PARALLELCLUSTER_NODE, "").strip().lower() == "compute":
        return f"ParallelCluster compute fleet '{tags.get(_PARALLELCLUSTER_NAME, '')}'"
    return None
