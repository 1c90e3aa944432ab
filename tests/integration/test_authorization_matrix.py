"""Every route of the app × six callers, each cell the status the caller gets.

Columns: no token; then five users whose only role assignment is at the resource group ``RG``
(the one ``{resource_group}`` names): Reader, AzureML Data Scientist, Contributor, Owner, and a
custom role whose only action is ``Microsoft.MachineLearningServices/workspaces/models/*/read``.

Requests are built so that nothing changes whoever sends them: names that do not exist, bodies
that are invalid, ``If-Match: "stale"``, bytes that do not match their hash. So a cell reads:
401 no token; 403 ``AuthorizationFailed`` (the only denial); anything else means authorization
let the request through and the request then went where it would for the admin (200 read, 404
missing, 400 bad body, 412 stale ETag...). The snapshot of the store is compared before and after.

Paths are abbreviated: ``~sub`` = ``/subscriptions/{subscription_id}``, ``~rg`` =
``~sub/resourceGroups/{resource_group}``, ``~ws`` = ``~rg/providers/Microsoft.MachineLearningServices
/workspaces/{workspace}``, ``~auth`` = ``/{scope:path}/providers/Microsoft.Authorization`` (the scope
is ``RG``) and ``~root`` = ``/providers/Microsoft.Authorization``.

A route missing from the table, or a row for a route that no longer exists, fails the test: add
the row with the statuses the route must answer (``AMLITE_MATRIX_OUT=file`` writes the observed
table there, as a starting point to check by hand, never to paste unread).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from typing import Any

import pytest

from amlite.api.app import api_routes
from amlite.api.routers.identity import PUBLIC_PATHS
from tests.integration.conftest import Api
from tests.integration.rbac_helpers import assign, bearer, create_user, custom_role, user_token

#: The decisions are made in Python from the caller's rows, the same on either store; the SQL that
#: finds those rows (assignments at a scope and above, lists filtered to what a caller may see) is
#: proven on both stores by test_rbac.py, test_rbac_escapes.py and test_authorization_property.py.
#: One store keeps this table's few thousand requests to one pass.
STORES = ("sqlite",)

COLUMNS = ("none", "Reader", "DataSci", "Contrib", "Owner", "ModelsRead")
ROLES = {"Reader": "Reader", "DataSci": "AzureML Data Scientist", "Contrib": "Contributor", "Owner": "Owner"}

MATRIX = """
#      route                                                                            | none Rdr  DSci Cntr Ownr Mdls
GET    /tenants                                                                         | 401  200  200  200  200  200
GET    /subscriptions                                                                   | 401  200  200  200  200  200
GET    ~sub                                                                             | 401  403  403  403  403  403
GET    ~sub/locations                                                                   | 401  403  403  403  403  403
GET    ~sub/providers                                                                   | 401  403  403  403  403  403
GET    ~sub/providers/{namespace}                                                       | 401  403  403  403  403  403
POST   ~sub/providers/{namespace}/register                                              | 401  403  403  403  403  403
POST   ~sub/providers/{namespace}/unregister                                            | 401  403  403  403  403  403
PUT    /providers/Microsoft.Subscription/aliases/{alias}                                | 401  403  403  403  403  403
GET    /providers/Microsoft.Subscription/aliases/{alias}                                | 401  403  403  403  403  403
GET    ~sub/providers/{namespace}/locations/{location}/operationStatuses/{operation_id} | 401  404  404  404  404  404
GET    ~sub/providers/{namespace}/locations/{location}/operationResults/{operation_id}  | 401  404  404  404  404  404
GET    ~sub/resourceGroups                                                              | 401  200  403  200  200  403
PUT    ~rg                                                                              | 401  403  403  400  400  403
GET    ~rg                                                                              | 401  200  403  200  200  403
HEAD   ~rg                                                                              | 401  204  403  204  204  403
PATCH  ~rg                                                                              | 401  403  403  412  412  403
DELETE ~rg                                                                              | 401  403  403  412  412  403
GET    ~rg/resources                                                                    | 401  200  403  200  200  403
POST   ~rg/validateMoveResources                                                        | 401  403  403  400  400  403
POST   ~rg/moveResources                                                                | 401  403  403  400  400  403
POST   ~rg/exportTemplate                                                               | 401  403  403  400  400  403
GET    ~rg/providers/Microsoft.Resources/deployments                                    | 401  200  403  200  200  403
GET    ~rg/providers/Microsoft.Resources/deployments/                                   | 401  200  403  200  200  403
PUT    ~rg/providers/Microsoft.Resources/deployments/{name}                             | 401  403  403  400  400  403
GET    ~rg/providers/Microsoft.Resources/deployments/{name}                             | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.Resources/deployments/{name}/operationStatuses/current   | 401  404  403  404  404  403
GET    ~sub/providers/Microsoft.MachineLearningServices/workspaces                      | 401  200  403  200  200  403
GET    ~rg/providers/Microsoft.MachineLearningServices/workspaces                       | 401  200  403  200  200  403
GET    ~sub/providers/Microsoft.MachineLearningServices/registries                      | 401  200  403  200  200  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries                       | 401  200  403  200  200  403
# soft delete (amlite's additions): the lists of soft-deleted workspaces and registries, recover, version delete
GET    ~sub/providers/Microsoft.MachineLearningServices/deletedWorkspaces | 401  200  403  200  200  403
GET    ~sub/providers/Microsoft.MachineLearningServices/deletedRegistries | 401  200  403  200  200  403
POST   ~ws/recover | 401  403  403  404  404  403
# workspace bundles (amlite's additions): export needs read, backup the datastores' listsecrets action, import write
POST   ~ws/export | 401  200  403  200  200  403
POST   ~ws/backup | 401  403  200  200  200  403
POST   ~ws/import | 401  403  403  400  400  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/recover | 401  403  403  404  404  403
DELETE ~ws/codes/{name}/versions/{version} | 401  403  404  404  404  403
POST   ~ws/codes/{name}/versions/{version}/recover | 401  403  404  404  404  403
DELETE ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version}/recover | 401  403  403  404  404  403
DELETE ~ws/components/{name}/versions/{version} | 401  403  404  404  404  403
POST   ~ws/components/{name}/versions/{version}/recover | 401  403  404  404  404  403
DELETE ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version}/recover | 401  403  403  404  404  403
DELETE ~ws/data/{name}/versions/{version} | 401  403  404  404  404  403
POST   ~ws/data/{name}/versions/{version}/recover | 401  403  404  404  404  403
DELETE ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version}/recover | 401  403  403  404  404  403
DELETE ~ws/environments/{name}/versions/{version} | 401  403  404  404  404  403
POST   ~ws/environments/{name}/versions/{version}/recover | 401  403  404  404  404  403
DELETE ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version}/recover | 401  403  403  404  404  403
DELETE ~ws/models/{name}/versions/{version} | 401  403  404  404  404  403
POST   ~ws/models/{name}/versions/{version}/recover | 401  403  404  404  404  403
DELETE ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version}/recover | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}            | 401  403  403  400  400  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}            | 401  404  403  404  404  403
PATCH  ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}            | 401  403  403  404  404  403
DELETE ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}            | 401  403  403  404  404  403
GET    /providers/Microsoft.MachineLearningServices/registries/{registry}               | 401  403  403  403  403  403
POST   /providers/Microsoft.MachineLearningServices/locations/{region}/fail             | 401  403  403  403  403  403
POST   /providers/Microsoft.MachineLearningServices/locations/{region}/restore          | 401  403  403  403  403  403
GET    /providers/Microsoft.MachineLearningServices/locations/{region}/outageDrill      | 401  403  403  403  403  403
GET    /providers/Microsoft.MachineLearningServices/outageDrills                        | 401  403  403  403  403  403
PUT    /providers/Microsoft.MachineLearningServices/workspacePairs/{name}               | 401  400  400  400  400  400
GET    /providers/Microsoft.MachineLearningServices/workspacePairs/{name}               | 401  404  404  404  404  404
DELETE /providers/Microsoft.MachineLearningServices/workspacePairs/{name}               | 401  404  404  404  404  404
GET    /providers/Microsoft.MachineLearningServices/workspacePairs                      | 401  200  200  200  200  200
POST   /providers/Microsoft.MachineLearningServices/workspacePairs/{name}/failover      | 401  404  404  404  404  404
POST   /providers/Microsoft.MachineLearningServices/workspacePairs/{name}/failback      | 401  404  404  404  404  404
GET    /registrymanagement/v1.0/registries/{registry}/discovery                        | 401  403  403  403  403  403
# the built-in azureml registry: every signed-in caller reads it, nobody writes it
GET    /providers/Microsoft.MachineLearningServices/registries/azureml | 401  200  200  200  200  200
DELETE /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml | 401  403  403  403  403  403
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml | 401  200  200  200  200  200
PATCH  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml | 401  403  403  403  403  403
POST   /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml | 401  403  403  403  403  403
PUT    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml | 401  403  403  403  403  403
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/codes | 401  200  200  200  200  200
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/codes/{name} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/codes/{name}/versions | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/codes/{name}/versions/{version} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/components | 401  200  200  200  200  200
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/components/{name} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/components/{name}/versions | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/components/{name}/versions/{version} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/data | 401  200  200  200  200  200
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/data/{name} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/data/{name}/versions | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/data/{name}/versions/{version} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/environments | 401  200  200  200  200  200
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/environments/{name} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/environments/{name}/versions | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/environments/{name}/versions/{version} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/models | 401  200  200  200  200  200
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/models/{name} | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/models/{name}/versions | 401  404  404  404  404  404
GET    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/models/{name}/versions/{version} | 401  404  404  404  404  404
DELETE /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/{rest:path} | 401  403  403  403  403  403
PATCH  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/{rest:path} | 401  403  403  403  403  403
POST   /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/{rest:path} | 401  403  403  403  403  403
PUT    /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azureml/providers/Microsoft.MachineLearningServices/registries/azureml/{rest:path} | 401  403  403  403  403  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/artifacts/blobs/{sha256} | 401  404  403  404  404  403
HEAD   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/artifacts/blobs/{sha256} | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/artifacts/blobs/{sha256} | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name} | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name} | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name} | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/restore | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/restore | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions | 401  404  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version} | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version} | 401  404  403  404  404  403
PATCH  ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version} | 401  403  403  404  404  403
PATCH  ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version} | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version} | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version}/restore | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version}/restore | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/components/{name}/versions/{version}/share   | 401  404  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/codes/{name}/versions/{version}/share   | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/tempdatarefs/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/import     | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data       | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name} | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/restore | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions | 401  404  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version} | 401  404  403  404  404  403
PATCH  ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version} | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version}/restore | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/data/{name}/versions/{version}/share   | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name} | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/restore | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions | 401  404  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version} | 401  404  403  404  404  403
PATCH  ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version} | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version}/restore | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/environments/{name}/versions/{version}/share   | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models     | 401  404  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name} | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/restore | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions | 401  404  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions | 401  403  403  404  404  403
GET    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version} | 401  404  403  404  404  403
PATCH  ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version} | 401  403  403  404  404  403
PUT    ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version} | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version}/archive | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version}/restore | 401  403  403  404  404  403
POST   ~rg/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions/{version}/share   | 401  404  403  404  404  403
POST   ~ws/components/{name}/versions/{version}/share                                   | 401  400  400  400  400  403
POST   ~ws/codes/{name}/versions/{version}/share                                   | 401  400  400  400  400  403
POST   ~ws/data/{name}/versions/{version}/share                                         | 401  400  400  400  400  403
POST   ~ws/environments/{name}/versions/{version}/share                                 | 401  400  400  400  400  403
POST   ~ws/models/{name}/versions/{version}/share                                       | 401  400  400  400  400  400
PUT    ~ws                                                                              | 401  403  403  400  400  403
GET    ~ws                                                                              | 401  200  403  200  200  403
PATCH  ~ws                                                                              | 401  403  403  412  412  403
DELETE ~ws                                                                              | 401  403  403  412  412  403
GET    ~ws/artifacts/blobs/{sha256}                                                     | 401  404  404  404  404  403
HEAD   ~ws/artifacts/blobs/{sha256}                                                     | 401  404  404  404  404  403
PUT    ~ws/artifacts/blobs/{sha256}                                                     | 401  403  400  400  400  403
GET    /v1.0/users                                                                      | 401  200  200  200  200  200
POST   /v1.0/users                                                                      | 401  403  403  403  403  403
GET    /v1.0/users/{user}                                                               | 401  404  404  404  404  404
DELETE /v1.0/users/{user}                                                               | 401  403  403  403  403  403
GET    /v1.0/servicePrincipals                                                          | 401  200  200  200  200  200
POST   /v1.0/servicePrincipals                                                          | 401  403  403  403  403  403
GET    /v1.0/servicePrincipals/{sp}                                                     | 401  404  404  404  404  404
DELETE /v1.0/servicePrincipals/{sp}                                                     | 401  403  403  403  403  403
POST   /v1.0/servicePrincipals/{sp}/addPassword                                         | 401  403  403  403  403  403
GET    /v1.0/groups                                                                     | 401  200  200  200  200  200
POST   /v1.0/groups                                                                     | 401  403  403  403  403  403
GET    /v1.0/groups/{group}                                                             | 401  404  404  404  404  404
DELETE /v1.0/groups/{group}                                                             | 401  403  403  403  403  403
GET    /v1.0/groups/{group}/members                                                     | 401  404  404  404  404  404
POST   /v1.0/groups/{group}/members/$ref                                                | 401  403  403  403  403  403
DELETE /v1.0/groups/{group}/members/{member}/$ref                                       | 401  403  403  403  403  403
GET    ~sub/providers/Microsoft.Insights/eventtypes/management/values                   | 401  200  403  200  200  403
GET    ~auth/roleDefinitions                                                            | 401  200  403  200  200  403
PUT    ~auth/roleDefinitions/{role_id}                                                  | 401  403  403  403  400  403
GET    ~auth/roleDefinitions/{role_id}                                                  | 401  404  403  404  404  403
DELETE ~auth/roleDefinitions/{role_id}                                                  | 401  403  403  403  404  403
GET    ~auth/roleAssignments                                                            | 401  200  403  200  200  403
PUT    ~auth/roleAssignments/{name}                                                     | 401  403  403  403  400  403
GET    ~auth/roleAssignments/{name}                                                     | 401  404  403  404  404  403
DELETE ~auth/roleAssignments/{name}                                                     | 401  403  403  403  204  403
# policy assignments at the group: Contributor's NotActions keep Microsoft.Authorization writes from it
GET    ~auth/policyAssignments                                                          | 401  200  403  200  200  403
PUT    ~auth/policyAssignments/{name}                                                   | 401  403  403  403  400  403
GET    ~auth/policyAssignments/{name}                                                   | 401  404  403  404  404  403
DELETE ~auth/policyAssignments/{name}                                                   | 401  403  403  403  204  403
# the built-in policy definitions: every signed-in caller reads them
GET    ~root/policyDefinitions                                                          | 401  200  200  200  200  200
GET    ~root/policyDefinitions/{name}                                                   | 401  404  404  404  404  404
GET    ~sub/providers/Microsoft.Authorization/policyDefinitions                         | 401  200  200  200  200  200
GET    ~sub/providers/Microsoft.Authorization/policyDefinitions/{name}                  | 401  404  404  404  404  404
GET    ~root/roleDefinitions                                                            | 401  403  403  403  403  403
PUT    ~root/roleDefinitions/{role_id}                                                  | 401  403  403  403  403  403
GET    ~root/roleDefinitions/{role_id}                                                  | 401  403  403  403  403  403
DELETE ~root/roleDefinitions/{role_id}                                                  | 401  403  403  403  403  403
GET    ~root/roleAssignments                                                            | 401  403  403  403  403  403
PUT    ~root/roleAssignments/{name}                                                     | 401  403  403  403  403  403
GET    ~root/roleAssignments/{name}                                                     | 401  403  403  403  403  403
DELETE ~root/roleAssignments/{name}                                                     | 401  403  403  403  403  403
GET    ~ws/components                                                                   | 401  200  200  200  200  403
GET    ~ws/codes                                                                        | 401  200  200  200  200  403
GET    ~ws/components/{name}                                                            | 401  404  404  404  404  403
GET    ~ws/codes/{name}                                                            | 401  404  404  404  404  403
PUT    ~ws/components/{name}                                                            | 401  403  412  412  412  403
PUT    ~ws/codes/{name}                                                            | 401  403  412  412  412  403
POST   ~ws/components/{name}/archive                                                    | 401  403  404  404  404  403
POST   ~ws/codes/{name}/archive                                                    | 401  403  404  404  404  403
POST   ~ws/components/{name}/restore                                                    | 401  403  404  404  404  403
POST   ~ws/codes/{name}/restore                                                    | 401  403  404  404  404  403
GET    ~ws/components/{name}/versions                                                   | 401  404  404  404  404  403
GET    ~ws/codes/{name}/versions                                                   | 401  404  404  404  404  403
POST   ~ws/components/{name}/versions                                                   | 401  403  400  400  400  403
POST   ~ws/codes/{name}/versions                                                   | 401  403  400  400  400  403
GET    ~ws/components/{name}/versions/{version}                                         | 401  404  404  404  404  403
GET    ~ws/codes/{name}/versions/{version}                                         | 401  404  404  404  404  403
PUT    ~ws/components/{name}/versions/{version}                                         | 401  403  400  400  400  403
PUT    ~ws/codes/{name}/versions/{version}                                         | 401  403  400  400  400  403
PATCH  ~ws/components/{name}/versions/{version}                                         | 401  403  404  404  404  403
PATCH  ~ws/codes/{name}/versions/{version}                                         | 401  403  404  404  404  403
POST   ~ws/components/{name}/versions/{version}/archive                                 | 401  403  404  404  404  403
POST   ~ws/codes/{name}/versions/{version}/archive                                 | 401  403  404  404  404  403
POST   ~ws/components/{name}/versions/{version}/restore                                 | 401  403  404  404  404  403
POST   ~ws/codes/{name}/versions/{version}/restore                                 | 401  403  404  404  404  403
POST   ~ws/codes/{name}/versions/{version}/startPendingUpload                      | 401  403  200  200  200  403
GET    ~ws/data                                                                         | 401  200  200  200  200  403
GET    ~ws/data/{name}                                                                  | 401  404  404  404  404  403
PUT    ~ws/data/{name}                                                                  | 401  403  412  412  412  403
POST   ~ws/data/{name}/archive                                                          | 401  403  404  404  404  403
POST   ~ws/data/{name}/restore                                                          | 401  403  404  404  404  403
GET    ~ws/data/{name}/versions                                                         | 401  404  404  404  404  403
POST   ~ws/data/{name}/versions                                                         | 401  403  400  400  400  403
GET    ~ws/data/{name}/versions/{version}                                               | 401  404  404  404  404  403
PUT    ~ws/data/{name}/versions/{version}                                               | 401  403  400  400  400  403
PATCH  ~ws/data/{name}/versions/{version}                                               | 401  403  404  404  404  403
POST   ~ws/data/{name}/versions/{version}/archive                                       | 401  403  404  404  404  403
POST   ~ws/data/{name}/versions/{version}/restore                                       | 401  403  404  404  404  403
GET    ~ws/privateEndpointConnections                                                   | 401  200  200  200  200  403
GET    ~ws/privateEndpointConnections/{name}                                            | 401  404  404  404  404  403
PUT    ~ws/privateEndpointConnections/{name}                                            | 401  403  400  400  400  403
DELETE ~ws/privateEndpointConnections/{name}                                            | 401  403  204  204  204  403
GET    ~ws/labelingJobs                                                                 | 401  200  200  200  200  403
GET    ~ws/labelingJobs/{name}                                                          | 401  404  404  404  404  403
PUT    ~ws/labelingJobs/{name}                                                          | 401  403  400  400  400  403
DELETE ~ws/labelingJobs/{name}                                                          | 401  403  204  204  204  403
POST   ~ws/labelingJobs/{name}/pause                                                    | 401  403  404  404  404  403
POST   ~ws/labelingJobs/{name}/resume                                                   | 401  403  404  404  404  403
POST   ~ws/labelingJobs/{name}/exportLabels                                             | 401  403  404  404  404  403
GET    ~rg/providers/Microsoft.Databricks/workspaces                                    | 401  200  403  200  200  403
GET    ~rg/providers/Microsoft.Databricks/workspaces/{name}                             | 401  404  403  404  404  403
PUT    ~rg/providers/Microsoft.Databricks/workspaces/{name}                             | 401  403  403  400  400  403
DELETE ~rg/providers/Microsoft.Databricks/workspaces/{name}                             | 401  403  403  204  204  403
GET    ~ws/datastores                                                                   | 401  200  200  200  200  403
GET    ~ws/datastores/{name}                                                            | 401  404  404  404  404  403
PUT    ~ws/datastores/{name}                                                            | 401  403  400  400  400  403
DELETE ~ws/datastores/{name}                                                            | 401  403  204  204  204  403
POST   ~ws/datastores/{name}/listSecrets                                                | 401  403  404  404  404  403
GET    ~ws/connections                                                                  | 401  200  200  200  200  403
GET    ~ws/connections/{name}                                                           | 401  404  404  404  404  403
PUT    ~ws/connections/{name}                                                           | 401  403  400  400  400  403
PATCH  ~ws/connections/{name}                                                           | 401  403  400  400  400  403
DELETE ~ws/connections/{name}                                                           | 401  403  204  204  204  403
POST   ~ws/connections/{name}/listSecrets                                               | 401  403  404  404  404  403
# computes: Data Scientist passes computes/write and /delete (its NotActions 'computes/*/write' need a segment)
GET    ~ws/computes                                                                     | 401  200  200  200  200  403
GET    ~ws/computes/{name}                                                              | 401  404  404  404  404  403
PUT    ~ws/computes/{name}                                                              | 401  403  400  400  400  403
DELETE ~ws/computes/{name}                                                              | 401  403  204  204  204  403
POST   ~ws/computes/{name}/listNodes                                                    | 401  403  404  404  404  403
POST   ~ws/computes/{name}/start                                                        | 401  403  404  404  404  403
POST   ~ws/computes/{name}/stop                                                         | 401  403  404  404  404  403
POST   ~ws/computes/{name}/restart                                                      | 401  403  404  404  404  403
GET    ~sub/providers/Microsoft.MachineLearningServices/locations/{location}/vmSizes    | 401  403  403  403  403  403
GET    ~sub/providers/Microsoft.MachineLearningServices/locations/{location}/usages     | 401  403  403  403  403  403
GET    ~sub/providers/Microsoft.MachineLearningServices/locations/{location}/quotas     | 401  403  403  403  403  403
POST   ~sub/providers/Microsoft.MachineLearningServices/locations/{location}/updateQuotas | 401  403  403  403  403  403
GET    ~ws/onlineEndpoints                                                              | 401  200  200  200  200  403
DELETE ~ws/onlineEndpoints/{endpoint}                                                   | 401  403  204  204  204  403
GET    ~ws/onlineEndpoints/{endpoint}                                                   | 401  404  404  404  404  403
PATCH  ~ws/onlineEndpoints/{endpoint}                                                   | 401  403  404  404  404  403
PUT    ~ws/onlineEndpoints/{endpoint}                                                   | 401  403  400  400  400  403
GET    ~ws/onlineEndpoints/{endpoint}/deployments                                       | 401  404  404  404  404  403
DELETE ~ws/onlineEndpoints/{endpoint}/deployments/{deployment}                          | 401  403  404  404  404  403
GET    ~ws/onlineEndpoints/{endpoint}/deployments/{deployment}                          | 401  404  404  404  404  403
PATCH  ~ws/onlineEndpoints/{endpoint}/deployments/{deployment}                          | 401  403  404  404  404  403
PUT    ~ws/onlineEndpoints/{endpoint}/deployments/{deployment}                          | 401  403  400  400  400  403
POST   ~ws/onlineEndpoints/{endpoint}/deployments/{deployment}/getLogs                  | 401  404  404  404  404  403
POST   ~ws/onlineEndpoints/{endpoint}/listKeys                                          | 401  403  404  404  404  403
POST   ~ws/onlineEndpoints/{endpoint}/regenerateKeys                                    | 401  403  404  404  404  403
POST   ~ws/onlineEndpoints/{endpoint}/token                                             | 401  403  404  404  404  403
GET    ~ws/jobs                                                                         | 401  200  200  200  200  403
GET    ~ws/jobs/{name}                                                                  | 401  404  404  404  404  403
PUT    ~ws/jobs/{name}                                                                  | 401  403  400  400  400  403
DELETE ~ws/jobs/{name}                                                                  | 401  403  204  204  204  403
POST   ~ws/jobs/{name}/cancel                                                           | 401  403  404  404  404  403
GET    ~ws/jobs/{name}/logs                                                             | 401  404  404  404  404  403
GET    ~ws/images                                                                       | 401  200  200  200  200  403
GET    ~ws/environments                                                                 | 401  200  200  200  200  403
GET    ~ws/environments/{name}                                                          | 401  404  404  404  404  403
PUT    ~ws/environments/{name}                                                          | 401  403  412  412  412  403
POST   ~ws/environments/{name}/archive                                                  | 401  403  404  404  404  403
POST   ~ws/environments/{name}/restore                                                  | 401  403  404  404  404  403
GET    ~ws/environments/{name}/versions                                                 | 401  404  404  404  404  403
POST   ~ws/environments/{name}/versions                                                 | 401  403  400  400  400  403
GET    ~ws/environments/{name}/versions/{version}                                       | 401  404  404  404  404  403
PUT    ~ws/environments/{name}/versions/{version}                                       | 401  403  400  400  400  403
PATCH  ~ws/environments/{name}/versions/{version}                                       | 401  403  404  404  404  403
POST   ~ws/environments/{name}/versions/{version}/archive                               | 401  403  404  404  404  403
POST   ~ws/environments/{name}/versions/{version}/restore                               | 401  403  404  404  404  403
GET    ~ws/models                                                                       | 401  200  200  200  200  403
GET    ~ws/modelVersions                                                                | 401  400  400  400  400  400
GET    ~ws/models/{name}                                                                | 401  404  404  404  404  403
PUT    ~ws/models/{name}                                                                | 401  403  412  412  412  403
POST   ~ws/models/{name}/archive                                                        | 401  403  404  404  404  403
POST   ~ws/models/{name}/restore                                                        | 401  403  404  404  404  403
GET    ~ws/models/{name}/versions                                                       | 401  404  404  404  404  404
POST   ~ws/models/{name}/versions                                                       | 401  403  400  400  400  403
GET    ~ws/models/{name}/versions/{version}                                             | 401  404  404  404  404  404
PUT    ~ws/models/{name}/versions/{version}                                             | 401  403  400  400  400  403
PATCH  ~ws/models/{name}/versions/{version}                                             | 401  403  404  404  404  403
POST   ~ws/models/{name}/versions/{version}/archive                                     | 401  403  404  404  404  403
POST   ~ws/models/{name}/versions/{version}/restore                                     | 401  403  404  404  404  403
# MLflow tracking under a workspace's mlFlowTrackingUri: MLflow's error body, PERMISSION_DENIED for 403
GET    /mlflow/v1.0~ws/api/2.0/mlflow-artifacts/artifacts | 401 400 400 400 400 403
DELETE /mlflow/v1.0~ws/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path} | 401 403 400 400 400 403
GET    /mlflow/v1.0~ws/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path} | 401 400 400 400 400 403
PUT    /mlflow/v1.0~ws/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path} | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/create | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/delete | 401 403 404 404 404 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/delete-experiment-tag | 401 403 400 400 400 403
GET    /mlflow/v1.0~ws/api/2.0/mlflow/experiments/get   | 401 400 400 400 400 403
GET    /mlflow/v1.0~ws/api/2.0/mlflow/experiments/get-by-name | 401 400 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/restore | 401 403 404 404 404 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/search | 401 200 200 200 200 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/set-experiment-tag | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/experiments/update | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/logged-models/search | 401 200 200 200 200 403
GET    /mlflow/v1.0~ws/api/2.0/mlflow/metrics/get-history | 401 400 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/create       | 401 403 404 404 404 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/delete       | 401 403 404 404 404 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/delete-tag   | 401 403 400 400 400 403
GET    /mlflow/v1.0~ws/api/2.0/mlflow/runs/get          | 401 400 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/log-batch    | 401 403 404 404 404 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/log-metric   | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/log-parameter | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/restore      | 401 403 404 404 404 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/search       | 401 200 200 200 200 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/set-tag      | 401 403 400 400 400 403
POST   /mlflow/v1.0~ws/api/2.0/mlflow/runs/update       | 401 403 404 404 404 403
GET    /mlflow/v1.0~ws/api/3.0/mlflow/server-info       | 401 200 200 200 200 403
"""

SUB = "/subscriptions/{subscription_id}"
MLFLOW = "/mlflow/v1.0/"
RG = SUB + "/resourceGroups/{resource_group}"
WS = RG + "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
ABBREVIATIONS = (("~ws", WS), ("~rg", RG), ("~sub", SUB), ("~auth", "/{scope:path}/providers/Microsoft.Authorization"))
ROOT = ("~root", "/providers/Microsoft.Authorization")


def expand(path: str) -> str:
    for short, long in (*ABBREVIATIONS, ROOT):
        path = path.replace(short, long)
    return path


def abbreviate(path: str) -> str:
    for short, long in ABBREVIATIONS:
        path = path.replace(long, short)
    return ROOT[0] + path[len(ROOT[1]):] if path.startswith(ROOT[1] + "/") else path


def table() -> dict[tuple[str, str], dict[str, int]]:
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for line in MATRIX.strip().splitlines():
        if line.startswith("#"):
            continue
        route, cells = line.split("|")
        method, path = route.split()
        statuses = [int(c) for c in cells.split()]
        assert len(statuses) == len(COLUMNS), line
        key = (method, expand(path))
        assert key not in rows, f"row twice: {line}"
        rows[key] = dict(zip(COLUMNS, statuses, strict=True))
    return rows


def app_routes() -> set[tuple[str, str]]:
    return {(m, r.path) for r in api_routes() for m in r.methods if r.path not in PUBLIC_PATHS}


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    rows, routes = set(table()), app_routes()
    missing = sorted(f"{m} {abbreviate(p)}" for m, p in routes - rows)
    stale = sorted(f"{m} {abbreviate(p)}" for m, p in rows - routes)
    assert missing == [], f"routes without a row in MATRIX (add them with their expected statuses): {missing}"
    assert stale == [], f"rows in MATRIX for routes that do not exist: {stale}"


@pytest.fixture(scope="module")
def callers(api: Api) -> dict[str, Any]:
    """The resource group, its workspace, and one user per role assigned at the group."""
    tag = uuid.uuid4().hex[:6]
    rg, ws = f"mx-{tag}", f"mxws-{tag}"
    api.create_group(rg)
    api.create_workspace(rg, ws)
    scope = api.rg_path(rg)
    tokens: dict[str, str | None] = {"none": None}
    for column, role in ROLES.items():
        user = create_user(api, f"mx-{column.lower()}-{tag}")
        assert assign(api, user["id"], role, scope).status_code == 201
        tokens[column] = user_token(api, f"mx-{column.lower()}-{tag}")
    custom_role(api, f"Model reader {tag}", ["Microsoft.MachineLearningServices/workspaces/models/*/read"])
    reader = create_user(api, f"mx-models-{tag}")
    assert assign(api, reader["id"], f"Model reader {tag}", scope).status_code == 201
    tokens["ModelsRead"] = user_token(api, f"mx-models-{tag}")
    return {"rg": rg, "ws": ws, "tokens": tokens}


def concrete(api: Api, path: str, rg: str, ws: str) -> str:
    values = {
        "subscription_id": api.sub, "resource_group": rg, "workspace": ws, "namespace": "Microsoft.Resources",
        "location": "eastus", "operation_id": str(uuid.uuid4()), "alias": "mx-alias", "version": "1",
        "sha256": hashlib.sha256(b"matrix").hexdigest(), "scope": f"subscriptions/{api.sub}/resourceGroups/{rg}",
        "user": "nobody@amlite.local",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def send(api: Api, method: str, path: str, url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}" if token else "", "If-Match": '"stale"'}
    if not path.startswith("/v1.0/"):
        version = ("v1.0" if path.startswith("/registrymanagement/")
                   else "2023-04-01" if "Microsoft.Authorization/policy" in path
                   else "2022-04-01" if "Microsoft.Authorization" in path else "2015-04-01" if "Microsoft.Insights" in path
                   else "2021-10-01" if "Microsoft.Subscription" in path
                   else "2024-05-01" if "Microsoft.Databricks" in path
                   else "2024-10-01" if "MachineLearningServices" in path and "{namespace}" not in path else "2024-03-01")
        url += f"?api-version={version}"
    if method in ("PUT", "PATCH", "POST") and path.endswith("{sha256}"):
        headers["Content-Type"] = "application/octet-stream"
        return api.client.request(method, url, content=b"not the hashed bytes", headers=headers).status_code
    body = {} if method in ("PUT", "PATCH", "POST") else None
    if path.startswith(MLFLOW):  # MLflow's bodies: ids that name nothing (an empty one makes a run in "Default")
        body = {"experiment_id": str(uuid.uuid4()), "run_id": uuid.uuid4().hex} if body is not None else None
    response = api.client.request(method, url, json=body, headers=headers)
    if response.status_code == 403 and path.startswith(MLFLOW):
        assert response.json()["error_code"] == "PERMISSION_DENIED", (method, url, response.text)
    elif response.status_code == 403 and method != "HEAD":
        # Writes into the built-in azureml registry are refused for everyone, with their own code.
        denial = "SystemRegistryReadOnly" if "/registries/azureml" in path and method != "GET" else "AuthorizationFailed"
        assert response.json()["error"]["code"] == denial, (method, url, response.text)
    return response.status_code


def test_the_matrix(api: Api, callers: dict[str, Any]) -> None:
    rows = table()
    before = api.snapshot()
    observed: dict[tuple[str, str], dict[str, int]] = {}
    for (method, path) in sorted(app_routes()):
        url = concrete(api, path, callers["rg"], callers["ws"])
        observed[(method, path)] = {c: send(api, method, path, url, callers["tokens"][c]) for c in COLUMNS}
    if os.environ.get("AMLITE_MATRIX_OUT"):
        with open(os.environ["AMLITE_MATRIX_OUT"], "w") as out:
            for (method, path), cells in sorted(observed.items(), key=lambda kv: kv[0][1]):
                out.write(f"{method:<6} {abbreviate(path):<48} | {' '.join(str(cells[c]) for c in COLUMNS)}\n")
    wrong = [f"{m} {abbreviate(p)}: expected {rows[(m, p)]}, got {cells}"
             for (m, p), cells in observed.items() if (m, p) in rows and rows[(m, p)] != cells]
    assert wrong == [], "\n".join(wrong)
    assert api.snapshot() == before, "a matrix request changed the store"


def test_a_token_is_needed_and_bearer_helpers_agree(api: Api, callers: dict[str, Any]) -> None:
    """The same request with and without the Owner's token: 200 versus 401 (the matrix's premise)."""
    url = f"{api.rg_path(callers['rg'])}?api-version=2024-03-01"
    assert api.client.get(url, headers=bearer(callers["tokens"]["Owner"])).status_code == 200
    assert api.client.get(url, headers={"Authorization": ""}).status_code == 401
