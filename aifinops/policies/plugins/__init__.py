"""CDK policy validation plugins (CDK-specific by nature, like nag/)."""
