"""Where a SageMaker model comes from, parsed for least-privilege IAM: the ECR image and the S3 model data;
and whether an instance type keeps its volumes on local NVMe storage (from the catalog)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aifinops.catalog import accelerator_catalog, parse_instance_type
from aifinops.constructs.tokens import is_token

_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)"
    r"(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})?")
_S3_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>\S+)")
ECR_IMAGE_FORM = "an ECR image URI: <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:digest]"
MODEL_DATA_FORM = "s3://<bucket>/<key>.tar.gz (compressed) or s3://<bucket>/<prefix>/ (uncompressed)"

def has_instance_storage(instance_type: str) -> bool:
    """True when the type's volumes are local NVMe (CreateEndpointConfig then refuses a KmsKeyId: those
    volumes are hardware-encrypted). Unknown families count as local storage, so an endpoint config
    never fails for a key it cannot take."""
    family = accelerator_catalog().family(parse_instance_type(instance_type).family)
    return family is None or family.local_storage


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str

    def repository_arn(self, partition: str) -> str:
        return f"arn:{partition}:ecr:{self.region}:{self.account}:repository/{self.repository}"


def parse_ecr_image(uri: str) -> EcrImage | None:
    match = _ECR_IMAGE.fullmatch(uri)
    return EcrImage(match["account"], match["region"], match["repository"]) if match else None


@dataclass(frozen=True)
class ModelData:
    """An S3 model data location. `prefix` data is uncompressed (S3Prefix); an object is a .tar.gz."""

    url: str
    bucket: str | None  # None when the URL is an unresolved token
    key: str | None
    prefix: bool

    def object_arns(self, partition: str) -> str:
        """The objects SageMaker reads: the archive, or everything under the prefix."""
        if self.bucket is None:  # token: the URL minus its s3:// scheme is the object's ARN suffix
            import aws_cdk as cdk  # only tokens get here, so aws_cdk is loaded; the parsing loads without it

            return cdk.Fn.join("", [f"arn:{partition}:s3:::", cdk.Fn.select(1, cdk.Fn.split("s3://", self.url))])
        return f"arn:{partition}:s3:::{self.bucket}/{self.key}{'*' if self.prefix else ''}"


def parse_model_data(url: str) -> ModelData | None:
    """None when `url` is neither a .tar.gz object nor a prefix ending in '/'."""
    if is_token(url):
        return ModelData(url, None, None, prefix=False)
    match = _S3_URL.fullmatch(url)
    if match is None:
        return None
    key = match["key"]
    if key.endswith("/"):
        return ModelData(url, match["bucket"], key, prefix=True)
    return ModelData(url, match["bucket"], key, prefix=False) if key.endswith(".tar.gz") else None
