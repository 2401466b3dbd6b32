"""What every app uses and none owns: the audit log. It imports nothing else of the service."""
