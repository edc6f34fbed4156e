"""AiFinOps custom checkov checks for plain CloudFormation: the CDK pack's cost rules for teams not on the CDK.

Run them with ``checkov --framework cloudformation --external-checks-dir aifinops/policies/checkov`` (checkov
skips a directory without this ``__init__.py``, silently). checkov executes every ``.py`` file here as a
top-level module with this directory on ``sys.path``: the files import each other by bare name and use only
the standard library and checkov (they run in checkov's own virtual environment, without aifinops).

Check ids are stable:

============  =================================================================================================
CKV_AIF_1     cost tags present and allowed on AI resources (SageMaker, Bedrock application inference profiles,
              Batch, EC2 instances and launch templates with accelerated instance types)
CKV_AIF_2     accelerated instance types allowed in the resource's environment (its ``environment`` tag)
CKV_AIF_3     a SageMaker endpoint has auto scaling; outside production it can reach zero or has a schedule
              (a graph check: it needs the endpoint's scalable targets, elsewhere in the template)
CKV_AIF_4     a Batch job definition has a time limit within its environment's ``max_training_hours``
============  =================================================================================================

The policy (tag keys and values, environments) comes from the JSON file named by ``AIFINOPS_CHECKOV_POLICY``,
written from finops.yaml by ``aifinops.policies.checkov_policy.write_checkov_policy`` (``aifinops check``
does it). Without a readable policy (variable unset, file missing or malformed, another version) every check
FAILS every resource of the types it covers, saying why in the result's details: a check that cannot know
the rules must not pass anything (which EC2 types are accelerated is part of the policy, so an EC2 instance
fails too). The reasons of resource checks are in ``check_result.details`` of checkov's JSON report; those of
the graph check CKV_AIF_3 in ``check_result.entity.aifinops_details`` (checkov keeps no details for graph checks).

The cdk-nag rules give the same verdicts (tests/policies/checkov/test_parity.py runs both on the same
templates): both import the stdlib-only modules of ``aifinops.policies.resource_facts`` - the resource types,
tag, instance type and time limit readers (``aif_resources``, ``aif_template``), the scale-down decision
(``aif_scaling``) and the rest - so both tools read one definition (``aif_facts`` puts that directory on
``sys.path`` for checkov). A value that cannot be judged at synth (an intrinsic
function standing for the whole property) gives no result here and NOT_APPLICABLE in the pack.
"""
