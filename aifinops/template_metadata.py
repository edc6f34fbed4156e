"""Keys of the metadata aifinops writes into templates: the contract between the constructs that
write them and `aifinops report` / external checks that read cdk.out. Pure; no aws_cdk import."""

from aifinops.policies.resource_facts import aif_topics

COST_TAGS = "aifinops:cost-tags"  # template Metadata of a stack under enforcement: {"required": [...]}
CAPACITY = "aifinops:capacity"  # resource Metadata of a workload's billable heart (see constructs/capacity.py)
SCP = "aifinops:scp"  # metadata of each SCP resource: environment, size, limits, targets, plain-words denies
BUDGET = "aifinops:budget"  # metadata of each AWS::Budgets::Budget: scope, limit, thresholds, recipients, at 100 %
GUARD = "aifinops:guard"  # metadata of each guard function: account, region, environment, mode, schedule
GUARDRAILS = "aifinops:guardrails"  # stack metadata of an org guardrail stack: model policy, exemptions, tag policy,
# the routes no SCP can close
# resource metadata of every SNS topic a pack construct creates (AiFinOps-SNS2 / CKV_AIF_6 judge them)
PACK_TOPIC = aif_topics.PACK_TOPIC
GOVERNANCE = "aifinops:governance"  # stack metadata of a stack aifinops.exempt() took out of governance: reason
