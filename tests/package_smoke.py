"""`make package`: the built wheel, installed alone into a fresh virtualenv, governs an own CDK app outside the
repository. Run with that virtualenv's python, from a directory outside the source tree, with finops.yaml's
path as the argument. Exits non-zero on the first broken promise. Not a pytest module (it needs that venv)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

APP = '''
import sys
import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
import aifinops
from aifinops.config import load
from aifinops.constructs import BedrockModelAccess, CostTags

config = load(sys.argv[1])
app = cdk.App(outdir=sys.argv[2])
stack = cdk.Stack(app, "OwnApp", env=cdk.Environment(account="222222222222", region="us-east-1"))
tags = CostTags(team="search", project="ranker", model="multiple", environment="dev", task_type="generation")
BedrockModelAccess(stack, "Access", cost_tags=tags, environment=config.environments["dev"],
                   models=["anthropic.claude-haiku-4-5-20251001-v1:0"])
gpu = ec2.CfnInstance(stack, "RawGpu", instance_type=sys.argv[3], image_id="ami-12345678")
gpu.add_property_override("LaunchTemplate", {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"})
tags.apply(gpu)
aifinops.govern(app, config, aws_solutions=False, serverless=False)
app.synth()
'''


def main(config: str) -> int:
    import aifinops

    where = Path(aifinops.__file__).resolve()
    assert "package-venv" in str(where), f"aifinops imported from {where}, not from the installed wheel"
    bin_dir = Path(sys.executable).parent
    version = subprocess.run([str(bin_dir / "aifinops"), "--version"], capture_output=True, text=True, check=True)
    print(version.stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "app.py"
        app.write_text(APP)
        bad = subprocess.run([sys.executable, str(app), config, str(Path(tmp) / "bad"), "p5.48xlarge"],
                             capture_output=True, text=True, cwd=tmp, check=False)
        assert bad.returncode != 0, "a p5 in dev synthesized"
        assert "p5.48xlarge not allowed in dev" in bad.stdout + bad.stderr, (bad.stdout + bad.stderr)[-3000:]
        print("a forbidden raw GPU fails synth, naming the value and the environment")
        out = Path(tmp) / "good"
        good = subprocess.run([sys.executable, str(app), config, str(out), "g5.xlarge"],
                              capture_output=True, text=True, cwd=tmp, check=False)
        assert good.returncode == 0, (good.stdout + good.stderr)[-3000:]
        report = subprocess.run([str(bin_dir / "aifinops"), "report", str(out), "--format", "json"],
                                capture_output=True, text=True, check=False)
        assert report.returncode == 0, report.stderr[-3000:]
        workloads = {w["workload"]: w for w in json.loads(report.stdout)["workloads"]}
        assert workloads["RawGpu"]["monthlyUsd"]["full"] > 0, workloads
        print(f"report prices the raw GPU: ${workloads['RawGpu']['monthlyUsd']['full']:,.2f}/month")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
