"""Provider manifests: YAML files that map SQL verbs to HTTP requests."""

from .loader import default_paths, load_registry
from .model import Field, Method, Param, Provider, Registry, Resource, Service

__all__ = ["default_paths", "load_registry", "Field", "Method", "Param", "Provider", "Registry",
           "Resource", "Service"]
