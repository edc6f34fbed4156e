"""The marker of attached packs, on a real synthesis: a pack that finds nothing leaves no entry in
validation-report.json, so only the marker tells `aifinops check` that it ran."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from aifinops.check.assembly import CheckInputError, read_assembly
from aifinops.check.marker import add_marked_plugins
from aifinops.check.nag import read_validation_report


def _synth(outdir: Path, *, marked: bool) -> Path:
    """One clean stack (nothing the packs flag), AwsSolutions and Serverless attached with or without the marker
    (in two calls: the marks merge); the stack is created after, as `aifinops.infra.build` does."""
    app = cdk.App(outdir=str(outdir))
    if marked:
        add_marked_plugins(app, AwsSolutionsChecks(app))
        add_marked_plugins(app, ServerlessChecks(app))
    else:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    stack = cdk.Stack(app, "Quiet")
    stack.add_metadata("team-note", "kept")  # the marker must not replace other template metadata
    cdk.CfnWaitConditionHandle(stack, "Handle")
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    root = tmp_path_factory.mktemp("marker")
    return {marked: _synth(root / str(marked), marked=marked) for marked in (True, False)}


def test_a_marked_stack_passes_and_names_the_packs_that_found_nothing(assemblies: dict[bool, Path]) -> None:
    assembly = read_assembly(assemblies[True])
    [stack] = assembly.stacks
    assert stack.security_checks == ("AwsSolutions", "Serverless")
    result = read_validation_report(assembly)
    assert result.findings == [] and result.ran == ["AwsSolutions", "Serverless"] and result.warnings == []


def test_the_same_pack_unmarked_is_no_evidence(assemblies: dict[bool, Path]) -> None:
    assembly = read_assembly(assemblies[False])
    assert assembly.stacks[0].security_checks is None
    with pytest.raises(CheckInputError, match=r": Quiet\. To fix: attach the packs"):
        read_validation_report(assembly)


def test_the_marker_keeps_other_template_metadata(assemblies: dict[bool, Path]) -> None:
    template = (assemblies[True] / "Quiet.template.json").read_text()
    assert '"team-note": "kept"' in template
