"""Dev-time cost visibility: a bedrock-runtime client with `watch_bedrock_costs` logs each call's estimated cost
from its usage and the catalog price, and warns when a call sets no output-token cap (botocore's own event
pipeline, answered by a stub in place of the network)."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from aifinops.bedrock_costs import estimate_usd, model_id_of, watch_bedrock_costs
from aifinops.catalog import model_catalog

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def client() -> Any:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    watch_bedrock_costs(client)
    return client


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "aifinops.cost" and r.levelno == level]


def _price() -> tuple[float, float]:
    family = model_catalog().family_of(HAIKU)
    assert family is not None and family.price_per_mtok is not None
    return family.price_per_mtok.input, family.price_per_mtok.output


def test_a_converse_call_logs_its_estimated_cost(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aifinops.cost")
    with Stubber(client) as stub:
        stub.add_response("converse", {
            "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}}, "stopReason": "end_turn",
            "usage": {"inputTokens": 1200, "outputTokens": 300, "totalTokens": 1500}, "metrics": {"latencyMs": 5}})
        client.converse(modelId=f"us.{HAIKU}", messages=[{"role": "user", "content": [{"text": "hello"}]}],
                        inferenceConfig={"maxTokens": 512})
    [logged] = _records(caplog, logging.INFO)
    per_in, per_out = _price()
    assert logged["estimatedUsd"] == pytest.approx(round((1200 * per_in + 300 * per_out) / 1e6, 6))
    assert (logged["inputTokens"], logged["outputTokens"], logged["priceDate"]) == (
        1200, 300, model_catalog().as_of)
    assert _records(caplog, logging.WARNING) == []  # capped


def test_an_uncapped_converse_call_is_warned(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with Stubber(client) as stub:
        stub.add_response("converse", {
            "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}}, "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}, "metrics": {"latencyMs": 5}})
        client.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "hello"}]}])
    [warning] = _records(caplog, logging.WARNING)
    assert warning["event"] == "bedrock-uncapped-output" and warning["modelId"] == HAIKU


def _invoke_response(input_tokens: str, output_tokens: str) -> Any:
    """A before-call hook answering InvokeModel with Bedrock's token-count headers (Stubber sets no headers)."""
    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        headers = {"x-amzn-bedrock-input-token-count": input_tokens,
                   "x-amzn-bedrock-output-token-count": output_tokens}
        return AWSResponse("https://bedrock", 200, headers, None), {"body": b"{}", "contentType": "application/json"}
    return answer


@pytest.mark.parametrize(("body", "capped"), [
    ({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256, "messages": []}, True),
    ({"inferenceConfig": {"maxTokens": 256}, "messages": []}, True),
    ({"textGenerationConfig": {"maxTokenCount": 256}, "inputText": "x"}, True),
    ({"anthropic_version": "bedrock-2023-05-31", "messages": []}, False)])
def test_invoke_model_is_priced_from_its_headers_and_uncapped_bodies_warned(
        client: Any, caplog: pytest.LogCaptureFixture, body: dict[str, Any], capped: bool) -> None:
    caplog.set_level(logging.INFO, logger="aifinops.cost")
    client.meta.events.register_first("before-call.bedrock-runtime.InvokeModel", _invoke_response("1000", "10"))
    client.invoke_model(modelId=HAIKU, body=json.dumps(body))
    [logged] = _records(caplog, logging.INFO)
    per_in, per_out = _price()
    assert logged["estimatedUsd"] == pytest.approx(round((1000 * per_in + 10 * per_out) / 1e6, 6))
    assert bool(_records(caplog, logging.WARNING)) is not capped


def test_a_model_without_a_price_is_logged_unpriced(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aifinops.cost")
    client.meta.events.register_first("before-call.bedrock-runtime.InvokeModel", _invoke_response("5", "5"))
    client.invoke_model(modelId="acme.frontier-9", body=json.dumps({"max_tokens": 8}))
    [logged] = _records(caplog, logging.INFO)
    assert logged["estimatedUsd"] is None and "unpriced" in logged


def test_model_ids_from_profiles_and_arns() -> None:
    assert model_id_of(f"arn:aws:bedrock:us-east-1:111111111111:inference-profile/eu.{HAIKU}") == HAIKU
    assert model_id_of(f"global.{HAIKU}") == HAIKU
    assert estimate_usd("acme.frontier-9", 10, 10, {"anthropic.*": (1.0, 1.0)}) is None


def test_only_a_bedrock_runtime_client() -> None:
    with pytest.raises(ValueError, match="bedrock-runtime"):
        watch_bedrock_costs(boto3.client("s3", region_name="us-east-1"))
