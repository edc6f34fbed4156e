"""botocore Stubber-backed clients for the enforcer's unit tests: every request is checked against the
expected parameters, and a test fails when an expected call was not made."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

REGION = "us-east-1"
ACCOUNT = "123456789012"


class StubbedClients:
    """Implements the enforcer's `Clients` protocol with stubbed boto3 clients, one per service and region."""

    def __init__(self) -> None:
        self._session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                              region_name=REGION)
        self._clients: dict[tuple[str, str], Any] = {}
        self._stubbers: dict[tuple[str, str], Stubber] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=region)
            self._stubbers[key] = Stubber(self._clients[key])
            self._stubbers[key].activate()
        return self._clients[key]

    def stub(self, service: str, region: str = REGION) -> Stubber:
        self.client(service, region)
        return self._stubbers[(service, region)]

    def verify(self) -> None:
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()


LOCK_TABLE = "aifinops-budget-locks"  # the reference policy's lock table


def lock_stubbed(clients: StubbedClients, *teams: str) -> None:
    """Each team's lock taken (PutItem) and released (DeleteItem), in that order, on the lock table."""
    dynamodb = clients.stub("dynamodb")
    conditions = {"ConditionExpression": ANY, "ExpressionAttributeNames": ANY, "ExpressionAttributeValues": ANY}
    for team in teams:
        item = {"lock": {"S": f"team/{team}"}, "owner": ANY, "holder": ANY, "since": ANY, "expires": ANY}
        dynamodb.add_response("put_item", {}, {"TableName": LOCK_TABLE, "Item": item, **conditions})
    for team in teams:
        dynamodb.add_response("delete_item", {}, {"TableName": LOCK_TABLE, "Key": {"lock": {"S": f"team/{team}"}},
                                                  **conditions})
