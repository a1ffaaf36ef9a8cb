"""Stack layer: the typed stack configuration, the dev/prod tier presets and the platform composition."""
