"""The cost tag keys the pack reads by name: budgets filter on `team`, guards read `environment`."""

DEFAULT_REQUIRED_TAGS = ("team", "project", "model", "environment", "task-type")
TEAM, PROJECT, MODEL, ENVIRONMENT, TASK_TYPE = DEFAULT_REQUIRED_TAGS
