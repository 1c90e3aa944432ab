"""Subscriptions, their locations, subscription aliases (how a new subscription is made) and
resource provider registration."""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass

from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.names import check_subscription_id
from amlite.domain.providers import ALWAYS_REGISTERED, KNOWN_PROVIDERS, ML_NAMESPACE, ProviderType, find_provider
from amlite.domain.resources import Subscription
from amlite.ports import UnitOfWork
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps, require_admitted


@dataclass(frozen=True)
class ProviderState:
    provider: ProviderType
    registration_state: str


def subscription_not_found(sub_id: str) -> NotFound:
    return NotFound("SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.", "subscriptionId")


class SubscriptionService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def list(self, caller: Caller) -> list[Subscription]:
        with self._deps.uow() as uow:
            return uow.subscriptions.list_for_tenant(caller.tenant_id)

    def get(self, caller: Caller, sub_id: str) -> Subscription:
        with self._deps.uow() as uow:
            return require_subscription(uow, caller, sub_id)

    def create_alias(self, caller: Caller, alias: str, display_name: str | None,
                     requested_id: str | None) -> tuple[Subscription, bool]:
        """Create a subscription under an alias; the same alias again answers the same subscription."""
        if not alias or len(alias) > 64 or not all(c.isalnum() or c in "-_." for c in alias):
            raise invalid("InvalidAliasName", f"Alias name '{alias}' must be 1-64 letters, digits, '-', '_' or '.'.", "aliasName")
        if display_name is None or not display_name.strip():
            raise invalid("InvalidRequestContent", "properties.displayName is required.", "properties.displayName")
        sub_id = check_subscription_id(requested_id) if requested_id is not None else str(uuid.uuid4())
        d = self._deps
        with d.uow(write=True) as uow:
            existing = uow.subscriptions.by_alias(alias)
            if existing is not None:
                return existing, False
            if uow.subscriptions.get(sub_id) is not None:
                raise Conflict("SubscriptionAlreadyExists", f"A subscription with id '{sub_id}' already exists.")
            sub = Subscription(id=sub_id, tenant_id=caller.tenant_id, display_name=display_name.strip())
            uow.subscriptions.add(sub, d.clock.now())
            uow.subscriptions.add_alias(alias, sub.id)
            for namespace in sorted(ALWAYS_REGISTERED):
                uow.providers.set_state(sub.id, namespace, "Registered")
            record_write(d, uow, caller, scope=f"/providers/Microsoft.Subscription/aliases/{alias}")
            uow.commit()
        return sub, True

    def get_alias(self, caller: Caller, alias: str) -> Subscription:
        with self._deps.uow() as uow:
            sub = uow.subscriptions.by_alias(alias)
        if sub is None or sub.tenant_id != caller.tenant_id:
            raise NotFound("ResourceNotFound", f"The subscription alias '{alias}' was not found.")
        return sub

    # -- providers -------------------------------------------------------------------------------

    def providers(self, caller: Caller, sub_id: str) -> builtins.list[ProviderState]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            states = uow.providers.states(sub.id)
        return [ProviderState(p, states.get(p.namespace.lower(), "NotRegistered")) for p in KNOWN_PROVIDERS]

    def provider(self, caller: Caller, sub_id: str, namespace: str) -> ProviderState:
        provider = _known(namespace)
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            state = uow.providers.states(sub.id).get(provider.namespace.lower(), "NotRegistered")
        return ProviderState(provider, state)

    def register(self, caller: Caller, sub_id: str, namespace: str) -> ProviderState:
        provider = _known(namespace)
        with self._deps.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            uow.providers.set_state(sub.id, provider.namespace, "Registered")
            record_write(self._deps, uow, caller)
            uow.commit()
        return ProviderState(provider, "Registered")

    def unregister(self, caller: Caller, sub_id: str, namespace: str) -> ProviderState:
        provider = _known(namespace)
        if provider.namespace in ALWAYS_REGISTERED:
            raise Conflict("CannotUnregisterProvider", f"The resource provider '{provider.namespace}' cannot be unregistered.")
        with self._deps.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            if provider.namespace == ML_NAMESPACE and (uow.workspaces.count_in_subscription(sub.id)
                                                       or uow.registries.count_in_subscription(sub.id)):
                raise Conflict(
                    "ProviderHasResources",
                    f"The resource provider '{provider.namespace}' cannot be unregistered: the subscription "
                    "still holds resources of this provider. Delete them first.",
                )
            uow.providers.set_state(sub.id, provider.namespace, "NotRegistered")
            record_write(self._deps, uow, caller)
            uow.commit()
        return ProviderState(provider, "NotRegistered")


def _known(namespace: str) -> ProviderType:
    provider = find_provider(namespace)
    if provider is None:
        raise NotFound("InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.", "resourceProviderNamespace")
    return provider


def require_subscription(uow: UnitOfWork, caller: Caller, sub_id: str) -> Subscription:
    """The caller's tenant's subscription, or 404; a malformed id is 400."""
    require_admitted(caller)
    canonical = check_subscription_id(sub_id)
    sub = uow.subscriptions.get(canonical)
    if sub is None or sub.tenant_id != caller.tenant_id:
        raise subscription_not_found(sub_id)
    return sub


def require_registered(uow: UnitOfWork, sub: Subscription, namespace: str) -> None:
    if uow.providers.states(sub.id).get(namespace.lower()) != "Registered":
        raise Conflict(
            "MissingSubscriptionRegistration",
            f"The subscription is not registered to use namespace '{namespace}'. "
            f"Run 'amlite provider register -n {namespace}' to register it.",
        )
