"""What the cdk-nag rules (`aifinops.policies.nag`) and the checkov checks (`aifinops.policies.checkov`) both know
about CloudFormation resources: which types each rule covers, where a resource keeps its cost tags, instance
types, time limit and metadata options, when an endpoint scales down, which topics the pack owns, and which
nag rule has which checkov twin. Standard library only.

Both tools read these modules, so one definition serves both verdicts. The nag rules import them as
``aifinops.policies.resource_facts.*``; checkov runs its check files as top-level modules without aifinops, so
its `aif_facts` module puts this directory on ``sys.path`` and the files here import each other by bare name.
"""
