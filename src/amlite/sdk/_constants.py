"""Constants every SDK module shares; kept apart so that none of them imports another for a string."""

from __future__ import annotations

import os

from amlite import __version__

VERSION = __version__

USER_AGENT = f"amlite-sdk/{VERSION}"

#: api-version sent to Microsoft.Resources routes (subscriptions, providers, resource groups).
RESOURCES_API_VERSION = "2024-03-01"
#: api-version sent to Microsoft.MachineLearningServices routes.
ML_API_VERSION = "2024-10-01"
#: api-version sent to Microsoft.Subscription aliases.
SUBSCRIPTION_API_VERSION = "2021-10-01"

#: The ARM scope, as azure-identity asks for it.
DEFAULT_SCOPE = "https://management.azure.com/.default"

ENDPOINT_ENV = "AMLITE_ENDPOINT"

#: How long before expiry a cached token is replaced (azure-core refreshes 5 minutes early).
REFRESH_MARGIN_SECONDS = 300


def normalize_endpoint(endpoint: str) -> str:
    """Strip whitespace and trailing slashes so URLs join predictably."""
    return endpoint.strip().rstrip("/")


def env_endpoint() -> str | None:
    value = os.environ.get(ENDPOINT_ENV)
    return normalize_endpoint(value) if value else None
