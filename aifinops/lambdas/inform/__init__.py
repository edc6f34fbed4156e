"""The Inform functions (issue 16): the daily spend collector (Cost Explorer -> CloudWatch metrics in the
AiFinOps namespace) and the weekly team report (text to the team's topic, HTML with charts to S3). Runtime
code: stdlib, boto3 and aifinops_runtime only; the policy JSON of `aifinops.policies.inform_policy` is its
only input."""
