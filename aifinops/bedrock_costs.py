"""Cost of each Bedrock call in development logs, and a warning when a call sets no output-token cap.

Optional, for applications: ``watch_bedrock_costs(boto3.client("bedrock-runtime"))`` registers boto3 event
hooks on that client. After each Converse or InvokeModel call it logs one JSON line on the ``aifinops.cost``
logger: model, input and output tokens (Converse: the response's ``usage``; InvokeModel: the
``x-amzn-bedrock-*-token-count`` headers) and the estimated USD at the catalog's on-demand price per million
tokens, with the price date. Before each call it warns (``aifinops.cost`` at WARNING) when the request sets no
output-token cap (Converse ``inferenceConfig.maxTokens``; InvokeModel ``max_tokens``, ``maxTokens``,
``max_gen_len``, ``maxTokenCount`` or ``max_new_tokens`` in the body): an uncapped call can bill the model's
whole output window. Streaming calls carry their usage at the end of the stream and are not priced here.

Prices default to the model catalog (`aifinops.catalog`, with its date); pass
``prices={model_id_pattern: (usd_per_m_input, usd_per_m_output)}`` to use others. Estimates are on-demand list
prices: batch, provisioned throughput, caching discounts and free tiers are not applied. Importing this module
does not load the CDK.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aifinops.catalog import model_catalog
from aifinops.catalog.models import strip_geo_prefix

LOGGER = logging.getLogger("aifinops.cost")
SERVICE = "bedrock-runtime"
PRICED_OPERATIONS = ("Converse", "InvokeModel")
CAP_KEYS = ("max_tokens", "maxTokens", "max_gen_len", "maxTokenCount", "max_new_tokens")
_MODEL_KEY = "aifinops_model_id"

Prices = Mapping[str, tuple[float, float]]  # model id pattern (shell wildcards) -> USD per 1M input, output


def watch_bedrock_costs(client: Any, prices: Prices | None = None, price_date: str | None = None,
                        logger: logging.Logger = LOGGER) -> None:
    """Register the hooks on one bedrock-runtime client. `prices` default to the aifinops catalog."""
    if client.meta.service_model.service_name != SERVICE:
        raise ValueError(f"watch_bedrock_costs needs a {SERVICE} client, not {client.meta.service_model.service_name}")
    if prices is None:
        prices, price_date = _catalog_prices()
    table = dict(prices)
    for operation in PRICED_OPERATIONS:
        client.meta.events.register(f"provide-client-params.{SERVICE}.{operation}",
                                    _before(operation, logger))
        client.meta.events.register(f"after-call.{SERVICE}.{operation}", _after(operation, table, price_date, logger))


def model_id_of(model: str) -> str:
    """The catalog model id behind a request's modelId: an ARN's last path part, without a geo prefix."""
    return strip_geo_prefix(model.rsplit("/", 1)[-1] if model.startswith("arn:") else model)


def estimate_usd(model: str, input_tokens: int, output_tokens: int, prices: Prices) -> float | None:
    model_id = model_id_of(model)
    for pattern, (per_m_input, per_m_output) in prices.items():
        if fnmatch.fnmatchcase(model_id, pattern):
            return (input_tokens * per_m_input + output_tokens * per_m_output) / 1_000_000
    return None


def _before(operation: str, logger: logging.Logger) -> Callable[..., None]:
    def hook(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        model = str(params.get("modelId", ""))
        context[_MODEL_KEY] = model
        if not _capped(operation, params):
            logger.warning(json.dumps({"event": "bedrock-uncapped-output", "operation": operation, "modelId": model,
                                       "fix": "set a maximum number of output tokens: an uncapped call can bill "
                                              "the model's whole output window"}))
    return hook


def _capped(operation: str, params: Mapping[str, Any]) -> bool:
    if operation == "Converse":
        config = params.get("inferenceConfig")
        return isinstance(config, dict) and config.get("maxTokens") is not None
    body = params.get("body")
    try:
        data = json.loads(body if isinstance(body, str | bytes | bytearray) else b"")
    except ValueError:
        return True  # not JSON: nothing to judge
    found = [data] if isinstance(data, dict) else []
    found += [v for v in (data.get(k) for k in ("inferenceConfig", "textGenerationConfig", "parameters"))
              if isinstance(v, dict)] if isinstance(data, dict) else []
    return any(d.get(key) is not None for d in found for key in CAP_KEYS)


def _after(operation: str, prices: Prices, price_date: str | None, logger: logging.Logger) -> Callable[..., None]:
    def hook(http_response: Any, parsed: Mapping[str, Any], context: Mapping[str, Any], **_: Any) -> None:
        model = str(context.get(_MODEL_KEY, ""))
        tokens = _tokens(operation, http_response, parsed)
        if tokens is None:
            return
        usd = estimate_usd(model, *tokens, prices)
        logger.info(json.dumps({
            "event": "bedrock-call-cost", "operation": operation, "modelId": model, "inputTokens": tokens[0],
            "outputTokens": tokens[1], "estimatedUsd": None if usd is None else round(usd, 6),
            "priceDate": price_date, **({} if usd is not None else {"unpriced": "no catalog price for this model"}),
        }))
    return hook


def _tokens(operation: str, http_response: Any, parsed: Mapping[str, Any]) -> tuple[int, int] | None:
    if operation == "Converse":
        usage = parsed.get("usage") if isinstance(parsed, Mapping) else None
        if not isinstance(usage, Mapping):
            return None
        return int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0))
    headers = getattr(http_response, "headers", None) or {}
    found = [str(headers.get(f"x-amzn-bedrock-{kind}-token-count", "")) for kind in ("input", "output")]
    if not all(v.isdigit() for v in found):  # a header missing (an error response) or not a number
        return None
    return int(found[0]), int(found[1])


def _catalog_prices() -> tuple[Prices, str | None]:
    catalog = model_catalog()
    prices = {p: (f.price_per_mtok.input, f.price_per_mtok.output)
              for f in catalog.families if f.price_per_mtok for p in f.patterns}
    return prices, catalog.as_of
