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
    # No construct stack traces in the metadata: the CLI would print a jsii frame (lib/program.js:1:5591) before
    # every annotation, which names no line of this app (aifinops check records real source lines itself).
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:disable-stack-trace": True})
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
