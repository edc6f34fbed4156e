"""An app that tries every way around `aifinops check` a reviewer found: each must fail the check, or show in its
SARIF as a suppressed result with its reason; none may vanish.

Run as a CDK app (`python tests/apps/bypass_app.py`; importing it synthesizes nothing). The test that runs the
check on it (tests/check/test_bypasses.py) also plants a `.checkov.yaml`, a `.cfnlintrc` and `CKV_SKIP_CHECK` in
the directory and environment the check runs in.
"""

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from aifinops.check.marker import add_marked_plugins
from aifinops.config import load
from aifinops.policies.nag import AiFinOpsChecks

_HERE = Path(__file__).resolve().parent
CONFIG = next(p for p in (_HERE / "finops.yaml", _HERE.parents[1] / "finops.yaml", Path("finops.yaml")) if p.exists())
STACK = "aifinops-bypass"
BARE = f"{STACK}/Bare"  # Acknowledgment(id="AwsSolutions-S10"): no plugin namespace
EMPTY = f"{STACK}/Empty"  # Acknowledgment(..., reason=""), and a checkov skip without a comment
EXPIRED = f"{STACK}/Expired"  # a reason that expired
INLINE = f"{STACK}/Inline"  # a `checkov:skip=` text in a tag value, with a short comment
LINTED = f"{STACK}/Linted"  # a deprecated runtime, hidden by cfn-lint metadata
UNUSED = f"{STACK}/Unused"  # an acknowledgement that matches nothing
NESTED = "Hidden"  # a nested stack: its template is an asset of the stack, not an artifact of the assembly


def _bucket(stack: cdk.Stack, name: str, **kwargs: object) -> s3.Bucket:
    return s3.Bucket(stack, name, block_public_access=s3.BlockPublicAccess.BLOCK_ALL, **kwargs)  # type: ignore[arg-type]


def main() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, STACK, env=cdk.Environment(account="222222222222", region="us-east-1"))
    bare = _bucket(stack, "Bare")
    cdk.Validations.of(bare).acknowledge(cdk.Acknowledgment(id="AwsSolutions-S10", reason="TLS is enforced elsewhere "
                                                                                          "by an org SCP"))
    empty = _bucket(stack, "Empty", enforce_ssl=True)
    cdk.Validations.of(empty).acknowledge(cdk.Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=""))
    empty.node.default_child.add_metadata("checkov", {"skip": [{"id": "CKV_AWS_18"}]})  # type: ignore[union-attr]
    expired = _bucket(stack, "Expired", enforce_ssl=True)
    cdk.Validations.of(expired).acknowledge(cdk.Acknowledgment(
        id="AwsSolutions::AwsSolutions-S1",
        reason="access logs come with the pilot's log bucket (expires: 2020-01-31)"))
    inline = _bucket(stack, "Inline", enforce_ssl=True)
    cdk.Tags.of(inline).add("note", "checkov:skip=CKV_AWS_21:ok")
    function = lambda_.CfnFunction(stack, "Linted", runtime="python3.7", handler="index.handler",
                                   role="arn:aws:iam::222222222222:role/linted",
                                   code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(e, c):\n    return 1\n"))
    function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E2531"]}})
    unused = _bucket(stack, "Unused", enforce_ssl=True)
    cdk.Validations.of(unused).acknowledge(cdk.Acknowledgment(
        id="AwsSolutions::AwsSolutions-SQS3", reason="there is no queue here: this acknowledges nothing"))
    sqs.CfnQueue(cdk.NestedStack(stack, NESTED), "PlainQueue")  # no encryption: checkov and cfn-lint must see it
    add_marked_plugins(app, AwsSolutionsChecks(app), AiFinOpsChecks(app, config=load(CONFIG)))
    app.synth()


if __name__ == "__main__":
    main()
