"""The reference deployment with two tag mistakes: dev loses `project`, staging says team `nobody`.

Run as a CDK app (`python tests/apps/tag_violation_app.py` or `cdk synth --app ...`): synthesis must fail.
"""

import aws_cdk as cdk

from aifinops.config import load
from aifinops.infra import build
from aifinops.infra.context import CDK_JSON, cdk_json_context

app = cdk.App(context=cdk_json_context())
stacks = {s.stack_name: s for s in build(app, load(CDK_JSON.with_name("finops.yaml")))}
cdk.Tags.of(stacks["aifinops-workloads-dev-search"]).remove("project", priority=300)
cdk.Tags.of(stacks["aifinops-workloads-staging-vision"]).add("team", "nobody", priority=300)
app.synth()
