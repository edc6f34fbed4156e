"""Accelerated instance families for EC2 and SageMaker (data in accelerators.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aifinops.catalog._data import read_yaml

SAGEMAKER_PREFIX = "ml."


class AcceleratorFamily(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    kind: Literal["gpu", "neuron", "inference", "fpga", "media"]
    accelerator: str
    memory_gib: int | None = Field(None, gt=0, description="memory per accelerator, where AWS states it")
    ec2: bool = Field(True, description="EC2 offers the family (False: a SageMaker-only accelerator)")
    sagemaker: bool
    local_storage: bool = Field(description="volumes on local NVMe instance storage, not EBS")
    sizes: dict[str, int]


class AcceleratorCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    as_of: str
    families: tuple[AcceleratorFamily, ...]
    other_families: frozenset[str] = Field(description="every family without an accelerator")

    def family(self, name: str) -> AcceleratorFamily | None:
        return next((f for f in self.families if f.name == name), None)

    def family_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.families)

    def ec2_family_names(self) -> tuple[str, ...]:
        """The accelerated families EC2 offers (patterns for `ec2:InstanceType`)."""
        return tuple(f.name for f in self.families if f.ec2)

    def ec2_type_names(self) -> tuple[str, ...]:
        """Every exact EC2 type of the accelerated families, e.g. g5.xlarge ... p5.48xlarge."""
        return tuple(f"{f.name}.{size}" for f in self.families if f.ec2 for size in f.sizes)


@dataclass(frozen=True)
class InstanceType:
    """A parsed instance type: `g5.xlarge` or `ml.g5.xlarge`."""

    sagemaker: bool
    family: str
    size: str | None

    @property
    def name(self) -> str:
        base = self.family if self.size is None else f"{self.family}.{self.size}"
        return SAGEMAKER_PREFIX + base if self.sagemaker else base


def parse_instance_type(value: str) -> InstanceType:
    """Split `[ml.]family[.size]`; the size is None when only a family is given."""
    sagemaker = value.startswith(SAGEMAKER_PREFIX)
    rest = value[len(SAGEMAKER_PREFIX) :] if sagemaker else value
    family, _, size = rest.partition(".")
    return InstanceType(sagemaker=sagemaker, family=family, size=size or None)


def is_accelerated(instance_type: str) -> bool | None:
    """Whether the catalog classifies the family of `instance_type` (`g5.xlarge`, `ml.p3.2xlarge`, `p5`) as
    accelerated: True or False for a known family, None for a family the catalog does not know yet (the guard
    then asks DescribeInstanceTypes)."""
    catalog = accelerator_catalog()
    family = parse_instance_type(instance_type).family
    if catalog.family(family) is not None:
        return True
    return False if family in catalog.other_families else None


def accelerator_problem(value: str) -> str | None:
    """Why `value` is not a known accelerated family or instance type, or None when it is."""
    catalog = accelerator_catalog()
    parsed = parse_instance_type(value)
    family = catalog.family(parsed.family)
    if family is None:
        known = ("has no accelerator" if parsed.family in catalog.other_families
                 else "is not an instance family the catalog knows")
        return (f"'{value}' is not an accelerated instance family ({parsed.family} {known}); accelerated families: "
                f"{', '.join(catalog.family_names())}")
    if parsed.sagemaker and not family.sagemaker:
        return f"'{value}': SageMaker does not offer the {family.name} family"
    if not parsed.sagemaker and not family.ec2:
        return f"'{value}': EC2 does not offer the {family.name} family (SageMaker only: ml.{family.name})"
    if parsed.size is not None and parsed.size not in family.sizes:
        return f"'{value}': unknown size; {family.name} sizes are {', '.join(family.sizes)}"
    return None


def accelerator_count(instance_type: str) -> int | None:
    parsed = parse_instance_type(instance_type)
    family = accelerator_catalog().family(parsed.family)
    if family is None or parsed.size is None:
        return None
    return family.sizes.get(parsed.size)


def vcpus_of(instance_type: str) -> int | None:
    """vCPUs of an accelerated instance: AWS sizes them 4 per `xlarge` unit (g5.12xlarge = 48,
    p5.48xlarge = 192, trn1.32xlarge = 128)."""
    parsed = parse_instance_type(instance_type)
    family = accelerator_catalog().family(parsed.family)
    if family is None or parsed.size is None or parsed.size not in family.sizes:
        return None
    units = _xlarge_units(parsed.size)
    return 4 * units if units else None


def _xlarge_units(size: str) -> int | None:
    if size == "xlarge":
        return 1
    head = size.removesuffix("xlarge")
    return int(head) if head.isdigit() and size.endswith("xlarge") else None


@cache
def accelerator_catalog() -> AcceleratorCatalog:
    catalog = AcceleratorCatalog.model_validate(read_yaml("accelerators.yaml"))
    both = catalog.other_families & set(catalog.family_names())
    if both:
        raise ValueError(f"accelerators.yaml: classified both ways: {sorted(both)}")
    return catalog
