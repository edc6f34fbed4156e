"""Which AiFinOps cdk-nag rule has which checkov twin: the two give the same verdict on the same resource, at
the same level, and one acknowledgement (`aifinops.constructs.nag_acks.acknowledge_verdict`) covers both.
Standard library only."""

from __future__ import annotations

TWINS: dict[str, str] = {
    "AiFinOps-TAG1": "CKV_AIF_1",
    "AiFinOps-ACC1": "CKV_AIF_2",
    "AiFinOps-SM1": "CKV_AIF_3",
    "AiFinOps-JOB1": "CKV_AIF_4",
    "AiFinOps-IMD1": "CKV_AIF_5",
    "AiFinOps-SNS2": "CKV_AIF_6",
}
NAG_OF: dict[str, str] = {check: rule for rule, check in TWINS.items()}
