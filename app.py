#!/usr/bin/env python3
"""CDK entry point: load finops.yaml (context `aifinops:config`) and build the reference deployment."""

import sys

import aws_cdk as cdk

from aifinops.config import DEFAULT_CONFIG, ConfigError, load
from aifinops.infra import build
from aifinops.infra.context import cdk_json_context
from aifinops.policies.scp import check_scp_limits


def main() -> None:
    # The CLI passes cdk.json's context itself; `python app.py` gets the same flags from here.
    app = cdk.App(context=cdk_json_context())
    config_path = app.node.try_get_context("aifinops:config") or str(DEFAULT_CONFIG)
    try:
        config = load(config_path)
        check_scp_limits(config, config_path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)  # nothing has been written to cdk.out yet
        sys.exit(2)
    build(app, config)
    app.synth()


if __name__ == "__main__":
    main()
