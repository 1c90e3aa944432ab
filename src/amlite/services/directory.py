"""The directory: users, service principals and groups of the tenant (what Microsoft Graph serves).

Passwords and client secrets are hashed with scrypt (``tokens.hash_secret``); a client secret is
returned once, by ``add_password``, and exists nowhere else. A service principal has one secret at
a time: adding a password replaces the previous one (``az ad sp create-for-rbac`` run again on the
same name "resets" the credential the same way).

Deleting a principal removes its role assignments and memberships in the same transaction, so a
token it still holds authenticates nobody (401) and grants nothing.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.resources import Principal, PrincipalKind
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import GroupBody, PasswordBody, ServicePrincipalBody, UserBody
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.tokens import hash_secret, new_secret

_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_UPN = re.compile(r"[^@\s]+@[^@\s]+")
SECRET_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class PasswordCredential:
    """The answer of addPassword: the only time the secret text is shown."""

    key_id: str
    secret_text: str
    display_name: str
    start: datetime
    end: datetime


def not_found(kind: str, ref: str) -> NotFound:
    return NotFound("Request_ResourceNotFound", f"Resource '{ref}' does not exist or one of its queried "
                    f"reference-property objects are not present ({kind}).")


def _text(value: str | None, key: str, *, limit: int = 256) -> str:
    if value is None or not value.strip() or len(value) > limit:
        raise invalid("Request_BadRequest", f"Property '{key}' is required and must be a string of at most {limit} characters.", key)
    return value.strip()


class DirectoryService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    # -- lookups ---------------------------------------------------------------------------------

    def get(self, caller: Caller, kind: PrincipalKind, ref: str) -> Principal:
        """By object id; users also by user principal name, service principals also by app id."""
        with self._deps.uow() as uow:
            return self._require(uow, caller, kind, ref)

    def _require(self, uow: UnitOfWork, caller: Caller, kind: PrincipalKind, ref: str) -> Principal:
        found: Principal | None = None
        if _GUID.fullmatch(ref):
            found = uow.principals.get(ref)
            if found is None and kind is PrincipalKind.SERVICE_PRINCIPAL:
                found = uow.principals.by_app_id(caller.tenant_id, ref)
        elif kind is PrincipalKind.USER:
            found = uow.principals.by_user_principal_name(caller.tenant_id, ref)
        if found is None or found.kind is not kind or found.tenant_id != caller.tenant_id:
            raise not_found(kind.value, ref)
        return found

    def list(self, caller: Caller, kind: PrincipalKind, name_prefix: str | None = None) -> list[Principal]:
        with self._deps.uow() as uow:
            return uow.principals.list(caller.tenant_id, kind, name_prefix=name_prefix)

    def members(self, caller: Caller, group_ref: str) -> builtins.list[Principal]:
        with self._deps.uow() as uow:
            group = self._require(uow, caller, PrincipalKind.GROUP, group_ref)
            return uow.group_members.members(group.id)

    # -- writes ----------------------------------------------------------------------------------

    def create_user(self, caller: Caller, body: UserBody) -> Principal:
        upn = _text(body.user_principal_name, "userPrincipalName")
        if not _UPN.fullmatch(upn):
            raise invalid("Request_BadRequest", f"'{upn}' is not a valid user principal name (name@domain).",
                          "userPrincipalName")
        password = body.password_profile.password if body.password_profile is not None else None
        if password is None or len(password) < 8:
            raise invalid("Request_BadRequest", "passwordProfile.password is required and must be at least 8 characters.",
                          "passwordProfile.password")
        display = _text(body.display_name, "displayName")
        return self._add(caller, PrincipalKind.USER, display or upn, upn=upn, secret_hash=hash_secret(password))

    def create_service_principal(self, caller: Caller, body: ServicePrincipalBody) -> Principal:
        display = _text(body.display_name, "displayName")
        app_id = body.app_id or self._deps.ids.new_id()
        if not _GUID.fullmatch(app_id):
            raise invalid("Request_BadRequest", "appId must be a GUID.", "appId")
        return self._add(caller, PrincipalKind.SERVICE_PRINCIPAL, display or app_id, app_id=app_id.lower())

    def create_group(self, caller: Caller, body: GroupBody) -> Principal:
        display = _text(body.display_name, "displayName")
        return self._add(caller, PrincipalKind.GROUP, display or "")

    def _add(self, caller: Caller, kind: PrincipalKind, display: str, *, upn: str | None = None,
             app_id: str | None = None, secret_hash: str | None = None) -> Principal:
        d = self._deps
        principal = Principal(id=d.ids.new_id(), tenant_id=caller.tenant_id, kind=kind, display_name=display,
                              user_principal_name=upn, app_id=app_id, secret_hash=secret_hash, created_at=d.clock.now())
        with d.uow(write=True) as uow:
            if upn and uow.principals.by_user_principal_name(caller.tenant_id, upn) is not None:
                raise Conflict("Request_BadRequest", f"Another object with the same value for property "
                               f"userPrincipalName already exists: '{upn}'.")
            if app_id and uow.principals.by_app_id(caller.tenant_id, app_id) is not None:
                raise Conflict("Request_BadRequest", f"A service principal with appId '{app_id}' already exists.")
            uow.principals.add(principal)
            record_write(d, uow, caller, scope=graph_path(principal))
            uow.commit()
        return principal

    def add_password(self, caller: Caller, ref: str, body: PasswordBody) -> PasswordCredential:
        d = self._deps
        name = body.password_credential.display_name if body.password_credential is not None else None
        secret = new_secret()
        now = d.clock.now()
        with d.uow(write=True) as uow:
            sp = self._require(uow, caller, PrincipalKind.SERVICE_PRINCIPAL, ref)
            uow.principals.set_secret(sp.id, hash_secret(secret))
            record_write(d, uow, caller, scope=graph_path(sp) + "/addPassword")
            uow.commit()
        return PasswordCredential(d.ids.new_id(), secret, str(name or "rbac"), now, now + SECRET_LIFETIME)

    def delete(self, caller: Caller, kind: PrincipalKind, ref: str) -> None:
        d = self._deps
        with d.uow(write=True) as uow:
            principal = self._require(uow, caller, kind, ref)
            if principal.id == caller.principal_id:
                raise Conflict("Request_BadRequest", "A principal cannot delete itself.")
            uow.role_assignments.delete_of_principal(principal.id)
            uow.principals.delete(principal.id)
            record_write(d, uow, caller, scope=graph_path(principal))
            uow.commit()

    def add_member(self, caller: Caller, group_ref: str, odata_id: str | None) -> None:
        """Members are users, service principals or groups (``@odata.id`` ends in the member's object
        id); a group never contains itself, directly or through others."""
        d = self._deps
        with d.uow(write=True) as uow:
            group = self._require(uow, caller, PrincipalKind.GROUP, group_ref)
            if odata_id is None or not odata_id.strip():
                raise invalid("Request_BadRequest", "The body needs '@odata.id': "
                              "'https://graph.microsoft.com/v1.0/directoryObjects/{id}'.", "@odata.id")
            member_ref = odata_id.rstrip("/").rsplit("/", 1)[-1]
            member = uow.principals.get(member_ref) if _GUID.fullmatch(member_ref) else None
            if member is None or member.tenant_id != caller.tenant_id:
                raise not_found("directoryObject", member_ref)
            if member.id == group.id or group.id in uow.group_members.groups_of(member.id) or \
                    member.id in uow.group_members.groups_of(group.id):
                raise invalid("Request_BadRequest", f"Adding '{member.display_name}' to '{group.display_name}' "
                              "would make a group a member of itself.", "@odata.id")
            if not uow.group_members.add(group.id, member.id):
                raise invalid("Request_BadRequest", "One or more added object references already exist for the "
                              "following modified properties: 'members'.", "@odata.id")
            record_write(d, uow, caller, scope=graph_path(group) + f"/members/{member.id}")
            uow.commit()

    def remove_member(self, caller: Caller, group_ref: str, member_id: str) -> None:
        d = self._deps
        with d.uow(write=True) as uow:
            group = self._require(uow, caller, PrincipalKind.GROUP, group_ref)
            if not uow.group_members.remove(group.id, member_id.lower()):
                raise not_found("member", member_id)
            record_write(d, uow, caller, scope=graph_path(group) + f"/members/{member_id.lower()}")
            uow.commit()


_COLLECTIONS = {PrincipalKind.USER: "users", PrincipalKind.SERVICE_PRINCIPAL: "servicePrincipals",
                PrincipalKind.GROUP: "groups"}


def graph_path(principal: Principal) -> str:
    """Where the principal lives in the Graph API; the audit log's scope for directory writes."""
    return f"/v1.0/{_COLLECTIONS[principal.kind]}/{principal.id}"
