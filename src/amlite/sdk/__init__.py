"""The amlite Python SDK: ``MLClient`` for workspaces, ``ArmClient`` for subscriptions and groups.

It depends on httpx and the standard library only, never on the server's packages, so it can be
installed and used on machines that only talk to an amlite server.
"""

from __future__ import annotations

from amlite.sdk._constants import VERSION
from amlite.sdk.arm import ArmClient
from amlite.sdk.credentials import (
    AccessToken,
    AmliteCliCredential,
    ClientSecretCredential,
    DefaultAmliteCredential,
    UsernamePasswordCredential,
)
from amlite.sdk.entities import Workspace
from amlite.sdk.ml_client import MLClient
from amlite.sdk.polling import LROPoller

__version__ = VERSION

__all__ = [
    "AccessToken",
    "AmliteCliCredential",
    "ArmClient",
    "ClientSecretCredential",
    "DefaultAmliteCredential",
    "LROPoller",
    "MLClient",
    "UsernamePasswordCredential",
    "Workspace",
    "__version__",
]
