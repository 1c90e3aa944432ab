"""Sign-in rules on the in-memory store and a fake clock: an access token stops working when its
lifetime ends, and failed sign-ins lock a name out for the throttle's window and no longer."""

from __future__ import annotations

import pytest

from amlite.domain.errors import AuthenticationFailed
from amlite.services.context import FakeClock
from amlite.services.identity import FirstStart, IdentityService, OAuthError
from amlite.services.sign_in_throttle import SignInThrottle, SignInThrottled
from amlite.services.tokens import LEEWAY_SECONDS, SigningKey, TokenService, new_private_key_pem
from tests.unit.memory_world import memory_deps

WINDOW = 60


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey(new_private_key_pem())


class World:
    def __init__(self, key: SigningKey) -> None:
        self.clock = FakeClock()
        deps = memory_deps(self.clock)
        throttle = SignInThrottle(window_seconds=WINDOW, per_ip=10, per_principal=2, clock=self.clock)
        self.identity = IdentityService(deps, TokenService(key, deps.endpoint), throttle)
        first = self.identity.initialize()
        assert first is not None
        self.first: FirstStart = first

    def sign_in(self, password: str, ip: str = "10.0.0.1") -> dict[str, object]:
        form = {"grant_type": "password", "username": self.first.username, "password": password}
        return self.identity.issue_token(self.first.tenant_id, form, client_ip=ip)


def test_the_first_start_happens_once(signing_key: SigningKey) -> None:
    world = World(signing_key)
    assert world.identity.initialize() is None
    assert world.identity.tenant().id == world.first.tenant_id


def test_an_access_token_works_until_its_lifetime_ends(signing_key: SigningKey) -> None:
    world = World(signing_key)
    body = world.sign_in(world.first.password)
    header = f"Bearer {body['access_token']}"
    caller = world.identity.authenticate(header)
    assert caller.tenant_id == world.first.tenant_id and caller.name == world.first.username
    lifetime = body["expires_in"]
    assert isinstance(lifetime, int) and lifetime > 60
    world.clock.advance(lifetime - 60)
    assert world.identity.authenticate(header).principal_id == caller.principal_id
    world.clock.advance(60 + LEEWAY_SECONDS - 1)  # past the expiry, within the leeway for clock skew
    assert world.identity.authenticate(header).principal_id == caller.principal_id
    world.clock.advance(1)
    with pytest.raises(AuthenticationFailed) as expired:
        world.identity.authenticate(header)
    assert expired.value.code == "ExpiredAuthenticationToken"


def test_failed_sign_ins_lock_the_name_out_for_the_window_only(signing_key: SigningKey) -> None:
    world = World(signing_key)
    for _ in range(2):
        with pytest.raises(OAuthError):
            world.sign_in("wrong")
    with pytest.raises(SignInThrottled) as refused:  # even the right password, from another address
        world.sign_in(world.first.password, ip="10.0.0.2")
    assert refused.value.retry_after == WINDOW
    world.clock.advance(WINDOW - 1)
    with pytest.raises(SignInThrottled) as still:
        world.sign_in(world.first.password)
    assert still.value.retry_after == 1
    world.clock.advance(1)
    assert "access_token" in world.sign_in(world.first.password)


def test_successful_sign_ins_do_not_count(signing_key: SigningKey) -> None:
    world = World(signing_key)
    for _ in range(5):
        world.sign_in(world.first.password)
    with pytest.raises(OAuthError):
        world.sign_in("wrong")
    assert "access_token" in world.sign_in(world.first.password)
