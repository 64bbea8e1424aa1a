"""Settings from the environment, and the operator's YAML files that live beside this module."""
