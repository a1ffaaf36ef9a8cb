"""Operations commands run against a live AWS account with boto3: preflight, live audit, DR drill."""
