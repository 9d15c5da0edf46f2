"""gw config compiler: YAML manifests and header configs to frozen Specs."""
