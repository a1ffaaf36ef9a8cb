"""Cost model: prices the offline plan per resource and component, at baseline and at peak."""
