"""Reusable Pulumi ComponentResources of the platform. They never read stack config."""
