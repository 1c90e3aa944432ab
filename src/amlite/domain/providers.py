"""The resource providers amlite knows, and which are registered on a new subscription.

Moves (seed 000) check that the destination subscription has the providers a workspace needs, so
registration is state worth keeping per subscription.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderType:
    namespace: str
    resource_types: tuple[str, ...]


KNOWN_PROVIDERS: tuple[ProviderType, ...] = (
    ProviderType("Microsoft.Resources", ("resourceGroups", "subscriptions", "deployments")),
    ProviderType("Microsoft.Authorization", ("roleAssignments", "roleDefinitions", "policyAssignments")),
    ProviderType("Microsoft.Subscription", ("aliases",)),
    ProviderType("Microsoft.MachineLearningServices", ("workspaces", "registries", "locations")),
    ProviderType("Microsoft.Storage", ("storageAccounts",)),
    ProviderType("Microsoft.KeyVault", ("vaults",)),
    ProviderType("Microsoft.ContainerRegistry", ("registries",)),
    ProviderType("Microsoft.Insights", ("components",)),
    ProviderType("Microsoft.Notebooks", ("NotebookProxies",)),
    ProviderType("Microsoft.ContainerService", ("managedClusters",)),
    ProviderType("Microsoft.DocumentDB", ("databaseAccounts",)),
    ProviderType("Microsoft.Search", ("searchServices",)),
    ProviderType("Microsoft.Network", ("privateEndpoints", "virtualNetworks")),
    ProviderType("Microsoft.Databricks", ("workspaces",)),
)

# Always registered, as on Azure: a subscription cannot work without them.
ALWAYS_REGISTERED: frozenset[str] = frozenset(
    {"Microsoft.Resources", "Microsoft.Authorization", "Microsoft.Subscription"}
)

# Registered on the default subscription at first start: everything a workspace needs (seed 000's table).
DEFAULT_REGISTERED: tuple[str, ...] = (
    "Microsoft.MachineLearningServices",
    "Microsoft.Storage",
    "Microsoft.KeyVault",
    "Microsoft.ContainerRegistry",
    "Microsoft.Insights",
    "Microsoft.Notebooks",
    "Microsoft.ContainerService",
    "Microsoft.Network",
)

ML_NAMESPACE = "Microsoft.MachineLearningServices"
RESOURCES_NAMESPACE = "Microsoft.Resources"


def find_provider(namespace: str) -> ProviderType | None:
    """Case-insensitive lookup that returns the canonical spelling."""
    lowered = namespace.lower()
    for provider in KNOWN_PROVIDERS:
        if provider.namespace.lower() == lowered:
            return provider
    return None
