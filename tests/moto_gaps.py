"""Where moto 5.2.5 falls short of AWS for the guard, filled in its backend (the ThreadedMotoServer runs in the
process that calls this; the code under test still speaks HTTP to it).

- SageMaker endpoint configs and notebook instances accept only a fixed, old list of `ml.*` types (no ml.g5,
  ml.g6, ml.inf2 ...); AWS accepts every type of its enums. `accept_every_ml_type` lets any `ml.` type through,
  so tests can use the types an environment allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["accept_every_ml_type"]


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
