"""CFN: CloudFormation templates: their presence, their parse and cfn-lint's findings."""
