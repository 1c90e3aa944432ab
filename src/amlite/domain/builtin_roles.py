"""Azure's built-in role definitions that amlite serves, with Azure's names, GUIDs and permissions.

Copied from Azure's published definitions, so that a role assignment made with the same role id as
on Azure grants exactly what it grants there:

- https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general (Owner,
  Contributor, Reader),
- https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged
  (User Access Administrator),
- https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning
  ("Azure built-in roles for AI + machine learning": AzureML Data Scientist, AzureML Compute
  Operator, AzureML Registry User, Azure AI Developer).

Note that Azure AI Developer does not name ``workspaces/hubs/join/action`` literally: its
``Microsoft.MachineLearningServices/workspaces/*/action`` covers it, and that is how the hub seed's
"a role that includes the hubs/join/action action" holds. The data actions are kept for display;
amlite has no data plane they would gate.
"""

from __future__ import annotations

from amlite.domain.rbac import RoleDefinition

_ML = "Microsoft.MachineLearningServices"

OWNER = RoleDefinition(
    id="8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    name="Owner",
    description="Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions=("*",),
)

CONTRIBUTOR = RoleDefinition(
    id="b24988ac-6180-42a0-ab88-20f7382dd24c",
    name="Contributor",
    description="Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
                "manage assignments in Azure Blueprints, or share image galleries.",
    actions=("*",),
    not_actions=(
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
    ),
)

READER = RoleDefinition(
    id="acdd72a7-3385-48ef-bd42-f606fba81ae7",
    name="Reader",
    description="View all resources, but does not allow you to make any changes.",
    actions=("*/read",),
)

USER_ACCESS_ADMINISTRATOR = RoleDefinition(
    id="18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    name="User Access Administrator",
    description="Lets you manage user access to Azure resources.",
    actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
)

AZUREML_DATA_SCIENTIST = RoleDefinition(
    id="f6c7c914-8db3-469d-8ca1-694a8f32e121",
    name="AzureML Data Scientist",
    description="Can perform all actions within an Azure Machine Learning workspace, except for creating or "
                "deleting compute resources and modifying the workspace itself.",
    actions=(
        f"{_ML}/workspaces/*/read",
        f"{_ML}/workspaces/*/action",
        f"{_ML}/workspaces/*/delete",
        f"{_ML}/workspaces/*/write",
    ),
    not_actions=(
        f"{_ML}/workspaces/delete",
        f"{_ML}/workspaces/write",
        f"{_ML}/workspaces/computes/*/write",
        f"{_ML}/workspaces/computes/*/delete",
        f"{_ML}/workspaces/computes/listKeys/action",
        f"{_ML}/workspaces/listKeys/action",
        f"{_ML}/workspaces/hubs/write",
        f"{_ML}/workspaces/hubs/delete",
        f"{_ML}/workspaces/featurestores/write",
        f"{_ML}/workspaces/featurestores/delete",
    ),
)

AZUREML_COMPUTE_OPERATOR = RoleDefinition(
    id="e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    name="AzureML Compute Operator",
    description="Can access and perform CRUD operations on Machine Learning Services managed compute resources "
                "(including Notebook VMs).",
    actions=(f"{_ML}/workspaces/computes/*", f"{_ML}/workspaces/notebooks/vm/*"),
)

AZUREML_REGISTRY_USER = RoleDefinition(
    id="1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    name="AzureML Registry User",
    description="Can perform all actions on Machine Learning Services Registry assets\u00a0as well as get "
                "Registry resources.",
    actions=(f"{_ML}/registries/read", f"{_ML}/registries/assets/*"),
)

AZURE_AI_DEVELOPER = RoleDefinition(
    id="64702f94-c441-49e6-a78b-ef80e0188fee",
    name="Azure AI Developer",
    description="Can perform all actions within an Azure AI resource besides managing the resource itself.",
    actions=(
        f"{_ML}/workspaces/*/read",
        f"{_ML}/workspaces/*/action",
        f"{_ML}/workspaces/*/delete",
        f"{_ML}/workspaces/*/write",
        f"{_ML}/locations/*/read",
        "Microsoft.Authorization/*/read",
        "Microsoft.Resources/deployments/*",
    ),
    not_actions=(
        f"{_ML}/workspaces/delete",
        f"{_ML}/workspaces/write",
        f"{_ML}/workspaces/listKeys/action",
        f"{_ML}/workspaces/hubs/write",
        f"{_ML}/workspaces/hubs/delete",
        f"{_ML}/workspaces/featurestores/write",
        f"{_ML}/workspaces/featurestores/delete",
        f"{_ML}/workspaces/evaluations/results/labels/read",
        f"{_ML}/workspaces/evaluations/results/reasonings/read",
        f"{_ML}/workspaces/simulations/results/images/read",
    ),
    data_actions=(
        "Microsoft.CognitiveServices/accounts/OpenAI/*",
        "Microsoft.CognitiveServices/accounts/SpeechServices/*",
        "Microsoft.CognitiveServices/accounts/ContentSafety/*",
        "Microsoft.CognitiveServices/accounts/MaaS/*",
    ),
)

BUILT_IN_ROLES: tuple[RoleDefinition, ...] = (
    OWNER, CONTRIBUTOR, READER, USER_ACCESS_ADMINISTRATOR, AZUREML_DATA_SCIENTIST, AZUREML_COMPUTE_OPERATOR,
    AZUREML_REGISTRY_USER, AZURE_AI_DEVELOPER,
)
BUILT_IN_BY_ID: dict[str, RoleDefinition] = {role.id: role for role in BUILT_IN_ROLES}


def built_in_role(name: str) -> RoleDefinition:
    """A built-in role by its name, case-insensitively (``KeyError`` when there is none)."""
    for role in BUILT_IN_ROLES:
        if role.name.lower() == name.lower():
            return role
    raise KeyError(name)
