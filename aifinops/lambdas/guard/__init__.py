"""The GPU guard engine: inventory -> signals -> decide -> act -> report. stdlib + boto3 only; its only
input is the JSON policy written by aifinops.policies.guard_policy."""
