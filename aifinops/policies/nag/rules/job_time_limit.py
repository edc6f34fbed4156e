"""AiFinOps-JOB1: Batch job definitions stop every attempt within the environment's training-time cap."""

from __future__ import annotations

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import environment_of
from aifinops.policies.resource_facts import aif_resources

RULE_ID = "AiFinOps-JOB1"
LEVEL = NagMessageLevel.ERROR  # a job without a limit can hold GPUs until someone notices
INFO = "The Batch job definition has no attempt time limit, or one above its environment's max_training_hours."
EXPLANATION = (
    "A GPU job that hangs keeps billing. Fix: set Timeout.AttemptDurationSeconds on the job definition "
    "(GpuTrainingQueue does: job_timeout, default the environment's max_training_hours), at most finops.yaml "
    "`environments.<env>.max_training_hours` x 3600 when the `environment` cost tag names the environment. "
    "SageMaker training jobs have no CloudFormation resource, so no template can be checked for them: the "
    "environment's SCP caps sagemaker:MaxRuntimeInSeconds at run time instead. A Timeout that may or may not "
    "be set at deployment (an intrinsic function, an Fn::If with AWS::NoValue) is not judged; numbers written "
    "as text count as numbers; CKV_AIF_4 gives the same verdicts.")

TYPES = frozenset(aif_resources.TIME_LIMIT_TYPES)  # the types of CKV_AIF_4: one list for both tools


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} is not a Batch job definition")
    state, value = aif_resources.attempt_limit(resource.properties)
    if state == "unresolved":
        return Verdict.skip("the Timeout is unresolved at synth (it may or may not be set): not judged")
    if state == "absent":
        return Verdict.fail("no Timeout.AttemptDurationSeconds: attempts run without a time limit")
    if value is None:
        return Verdict.ok("a time limit is set but unresolved at synth: its length is not judged")
    found = environment_of(resource, config)
    if found is None:
        return Verdict.ok(f"time limit {value:g} s; no configured `environment` tag to bound it")
    name, environment = found
    cap = environment.max_training_hours * 3600
    if value > cap:
        return Verdict.fail(f"time limit {value:g} s is above {name}'s max_training_hours "
                            f"({environment.max_training_hours} h = {cap} s)")
    return Verdict.ok(f"time limit {value:g} s within {name}'s {cap} s")


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
