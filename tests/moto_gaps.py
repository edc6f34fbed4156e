"""Where moto 5.2.5 falls short of AWS for the guard, filled in its backend (the ThreadedMotoServer runs in the
process that calls this; the code under test still speaks HTTP to it).

- SageMaker endpoint configs and notebook instances accept only a fixed, old list of `ml.*` types (no ml.g5,
  ml.g6, ml.inf2 ...); AWS accepts every type of its enums. `accept_every_ml_type` lets any `ml.` type through,
  so tests can use the types an environment allows.
- Cost Explorer has no cost allocation tag operations. `cost_allocation_tags` answers ListCostAllocationTags and
  UpdateCostAllocationTagsStatus as AWS does: a key is listed only once billing data has seen it (`seen`, which
  the test controls), and activating an unseen key answers HTTP 200 with an entry in `Errors`.
- Training jobs are Completed the moment they are created, and StopTrainingJob is not implemented.
  `training_jobs_in_progress` creates them InProgress and answers StopTrainingJob (the job becomes Stopped, as AWS
  does after Stopping).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["CostAllocationTagBilling", "accept_every_ml_type", "cost_allocation_tags", "stop_training_job",
           "training_jobs_in_progress"]


class CostAllocationTagBilling:
    """What billing data has seen (`seen`: keys) and each listed key's status."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.status: dict[str, str] = {}
        self.calls: list[str] = []


@contextmanager
def cost_allocation_tags() -> Iterator[CostAllocationTagBilling]:
    import json

    from moto.ce.responses import CostExplorerResponse

    billing = CostAllocationTagBilling()

    def listed(self: Any) -> str:
        billing.calls.append("ListCostAllocationTags")
        params = json.loads(self.body or "{}")
        wanted = params.get("TagKeys")
        tags = [{"TagKey": k, "Type": "UserDefined", "Status": billing.status.get(k, "Inactive"),
                 "LastUpdatedDate": "2026-12-01T00:00:00Z"}
                for k in sorted(billing.seen) if wanted is None or k in wanted]
        if params.get("Status"):
            tags = [t for t in tags if t["Status"] == params["Status"]]
        return json.dumps({"CostAllocationTags": tags})

    def update(self: Any) -> str:
        billing.calls.append("UpdateCostAllocationTagsStatus")
        errors = []
        for entry in json.loads(self.body)["CostAllocationTagsStatus"]:
            key = entry["TagKey"]
            if key in billing.seen:
                billing.status[key] = entry["Status"]
            else:
                errors.append({"TagKey": key, "Code": "TagKeysNotFoundException",
                               "Message": f"Failed to update the cost allocation tag: {key} was not found"})
        return json.dumps({"Errors": errors})

    for name in ("list_cost_allocation_tags", "update_cost_allocation_tags_status"):
        assert not hasattr(CostExplorerResponse, name), f"moto implements {name} now: drop this"
    CostExplorerResponse.list_cost_allocation_tags = listed  # type: ignore[attr-defined]
    CostExplorerResponse.update_cost_allocation_tags_status = update  # type: ignore[attr-defined]
    try:
        yield billing
    finally:
        del CostExplorerResponse.list_cost_allocation_tags  # type: ignore[attr-defined]
        del CostExplorerResponse.update_cost_allocation_tags_status  # type: ignore[attr-defined]


@contextmanager
def accept_every_ml_type() -> Iterator[None]:
    from moto.sagemaker.models import FakeEndpointConfig, FakeSagemakerNotebookInstance

    originals = {cls: cls.validate_instance_type for cls in (FakeEndpointConfig, FakeSagemakerNotebookInstance)}

    def lenient(original: Any) -> Any:
        def validate(self: Any, instance_type: str) -> None:
            if not str(instance_type).startswith("ml."):
                original(self, instance_type)
        return validate

    for cls, original in originals.items():
        cls.validate_instance_type = lenient(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.validate_instance_type = original  # type: ignore[method-assign]


@contextmanager
def stop_training_job() -> Iterator[None]:
    """moto's SageMaker responses answer StopTrainingJob."""
    from moto.sagemaker.responses import SageMakerResponse

    def stop(self: Any) -> str:
        job = self.sagemaker_backend.training_jobs[self._get_param("TrainingJobName")]
        job.training_job_status = "Stopped"
        return "{}"

    assert not hasattr(SageMakerResponse, "stop_training_job"), "moto implements StopTrainingJob now: drop this"
    SageMakerResponse.stop_training_job = stop  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del SageMakerResponse.stop_training_job  # type: ignore[attr-defined]


@contextmanager
def training_jobs_in_progress() -> Iterator[None]:
    """New training jobs are InProgress (and can be stopped)."""
    from moto.sagemaker.models import FakeTrainingJob

    original = FakeTrainingJob.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.training_job_status = "InProgress"
        self.secondary_status = "Training"

    FakeTrainingJob.__init__ = init  # type: ignore[method-assign]
    try:
        with stop_training_job():
            yield
    finally:
        FakeTrainingJob.__init__ = original  # type: ignore[method-assign]
