"""The cost allocation tag activator: activates the configured tag keys in Cost Explorer until every one is
active, and says which are not. stdlib + boto3 only."""
