"""Act on a moto server: batching (many ids a call), dry run, idempotency, and fault injection with botocore event
hooks: a throttled StopInstances is retried (adaptive retries, max_attempts > 1) and succeeds; AccessDenied on
one instance is reported while the others of its batch are still stopped and tagged; nothing is acted on twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from aifinops.lambdas.guard.act import EC2_BATCH, apply
from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.inventory import ec2_instances
from aifinops.lambdas.guard.model import Action, Decision, Reason
from aifinops.lambdas.guard.permissions import actions_for
from aifinops.lambdas.guard.scan import CountingClients
from tests.lambdas.guard.conftest import REGION, count_calls
from tests.lambdas.guard.fleet import dev_policy, run, scan_time, state_of, tags_of

STOPPED_BY = "aifinops:stopped-by"
THROTTLED = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
             b"</Message></Error></Errors><RequestID>x</RequestID></Response>")

UNAVAILABLE = (b"<Response><Errors><Error><Code>Unavailable</Code><Message>Service unavailable.</Message></Error>"
               b"</Errors><RequestID>x</RequestID></Response>")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _decisions(clients: Any, ids: list[str], action: Action, reasons: tuple[Reason, ...]) -> list[Decision]:
    resources = [r for r in ec2_instances(clients.client("ec2", REGION), ["g5.xlarge"]).resources if r.id in ids]
    now = scan_time()
    return [Decision(resource=r, action=action, reasons=reasons, environment="dev", hourly_usd=1.0,
                     stop_after=now + timedelta(hours=1) if action is Action.MARK else None) for r in resources]


def test_batched_stop_and_tag_dry_run_and_idempotent(clients: ClientFactory) -> None:
    ec2 = clients.client("ec2", REGION)
    ids = run(ec2, count=5)
    stops, tags = count_calls(ec2, "StopInstances"), count_calls(ec2, "CreateTags")
    decisions = _decisions(clients, ids, Action.STOP, (Reason.IDLE, Reason.UNTAGGED))
    policy, now = dev_policy(), scan_time()

    planned = apply(decisions, clients, policy, now=now, dry_run=True)
    assert set(planned.results.values()) == {"planned"} and stops[0] == tags[0] == 0
    assert all(state_of(ec2, i) == "running" for i in ids)

    done = apply(decisions + decisions, clients, policy, now=now, dry_run=False)  # duplicates acted on once
    assert done.errors == [] and set(done.results.values()) == {"done"} and len(done.results) == 5
    assert stops[0] == 1 and tags[0] == 1 and EC2_BATCH >= 1000  # 5 ids: one StopInstances, one CreateTags
    assert all(tags_of(ec2, i)[STOPPED_BY].startswith("idle+untagged ") for i in ids)

    again = apply(decisions, clients, policy, now=now, dry_run=False)  # already stopping: skipped, not re-tagged
    assert set(again.results.values()) == {"skipped"} and tags[0] == 1


def test_mark_then_unmark_batched(clients: ClientFactory) -> None:
    ec2 = clients.client("ec2", REGION)
    ids = run(ec2, count=3)
    creates, deletes = count_calls(ec2, "CreateTags"), count_calls(ec2, "DeleteTags")
    policy, now = dev_policy(), scan_time()
    apply(_decisions(clients, ids, Action.MARK, (Reason.UNTAGGED,)), clients, policy, now=now, dry_run=False)
    assert creates[0] == 1 and all(tags_of(ec2, i)["aifinops:violation"] == "untagged" for i in ids)
    apply(_decisions(clients, ids, Action.UNMARK, (Reason.COMPLIANT,)), clients, policy, now=now, dry_run=False)
    assert deletes[0] == 1 and all(tags_of(ec2, i) == {} for i in ids)


@pytest.mark.parametrize(("status", "body"), [(400, THROTTLED), (503, UNAVAILABLE)], ids=["throttling", "5xx"])
def test_throttling_and_5xx_are_retried(clients: ClientFactory, moto_server: str, status: int, body: bytes) -> None:
    factory = ClientFactory(endpoint_url=moto_server, max_attempts=3)
    ec2 = factory.client("ec2", REGION)
    ids = run(ec2, count=3)
    throttled = [0]

    def throttle_once(request: Any, **_: Any) -> AWSResponse | None:
        if throttled[0] == 0:
            throttled[0] += 1
            return AWSResponse(request.url, status, {}, _Raw(body))
        return None

    ec2.meta.events.register("before-send.ec2.StopInstances", throttle_once)
    counting = CountingClients(factory)
    outcome = apply(_decisions(factory, ids, Action.STOP, (Reason.IDLE,)), counting, dev_policy(), now=scan_time(),
                    dry_run=False)
    assert throttled[0] == 1 and outcome.errors == [] and set(outcome.results.values()) == {"done"}
    assert counting.calls["ec2:StopInstances"] == 1  # one logical call, retried inside botocore
    assert all(state_of(ec2, i) in ("stopping", "stopped") for i in ids)


def test_access_denied_on_one_instance_the_rest_still_handled(clients: ClientFactory) -> None:
    ec2 = clients.client("ec2", REGION)
    ids = run(ec2, count=4)
    denied = ids[1]

    def deny(params: dict[str, Any], **_: Any) -> None:
        if denied in params.get("InstanceIds", []):
            raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "not authorized"}},
                              "StopInstances")

    ec2.meta.events.register("provide-client-params.ec2.StopInstances", deny)
    outcome = apply(_decisions(clients, ids, Action.STOP, (Reason.IDLE,)), clients, dev_policy(), now=scan_time(),
                    dry_run=False)
    assert [(e.resource, e.operation, e.code) for e in outcome.errors] == [(denied, "StopInstances",
                                                                            "UnauthorizedOperation")]
    assert state_of(ec2, denied) == "running" and STOPPED_BY not in tags_of(ec2, denied)
    for instance in (i for i in ids if i != denied):
        assert state_of(ec2, instance) in ("stopping", "stopped") and STOPPED_BY in tags_of(ec2, instance)
    assert sorted(outcome.results.values()) == ["done", "done", "done", "failed"]


def test_every_operation_is_declared() -> None:
    for operation in ("ec2:StopInstances", "ec2:CreateTags", "ec2:DeleteTags", "sagemaker:AddTags",
                      "sagemaker:DeleteTags", "sagemaker:DeleteEndpoint", "sagemaker:StopNotebookInstance",
                      "sagemaker:StopTrainingJob", "cloudwatch:GetMetricData", "ec2:DescribeInstanceTypes",
                      "sagemaker:ListTags", "sns:Publish"):
        assert actions_for(operation), operation


def test_a_stopped_notebook_whose_audit_tag_fails_counts_as_stopped(clients: ClientFactory) -> None:
    """The stop succeeded: a failed audit tag is an error of its own, and the savings still count."""
    from aifinops.lambdas.guard.inventory import Classifier, notebooks

    sm = clients.client("sagemaker", REGION)
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.p3.2xlarge",
                                RoleArn="arn:aws:iam::123456789012:role/sm")

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no AddTags"}}, "AddTags")

    sm.meta.events.register("provide-client-params.sagemaker.AddTags", deny)
    [notebook] = notebooks(sm, Classifier(frozenset({"p3"}))).resources
    decision = Decision(resource=notebook, action=Action.STOP, reasons=(Reason.NOTEBOOK_TOO_LONG,), environment="dev")
    outcome = apply([decision], clients, dev_policy(), now=scan_time(), dry_run=False)
    assert outcome.results == {notebook.arn: "done"}
    assert [(e.resource, e.operation, e.code) for e in outcome.errors] == [("nb", "AddTags", "AccessDeniedException")]
    assert sm.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceStatus"] in ("Stopping",
                                                                                                 "Stopped")


def test_every_new_operation_is_declared() -> None:
    for operation in ("resourcegroupstaggingapi:GetResources", "pricing:GetProducts"):
        assert actions_for(operation), operation
