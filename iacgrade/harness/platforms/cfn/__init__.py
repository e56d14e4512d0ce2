"""CloudFormation templates (YAML or JSON), validated with cfn-lint in process."""
