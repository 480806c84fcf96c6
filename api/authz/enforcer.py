"""The Casbin enforcer, with role assignments from the database and cached decisions.

p lines are static (policies/policy.csv). g lines (user, role, jurisdiction) are
loaded per user on first use and dropped when the policy version changes, so a
role change made by any worker reaches every worker at its next check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import casbin

from api.authz.policy import MODEL_PATH, POLICY_PATH, role_subject
from api.domain.jurisdictions import contains
from api.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Holding:
    role: Role
    jurisdiction: str


MAX_CACHED_DECISIONS = 200_000
MAX_LOADED_SUBJECTS = 50_000


def user_subject(subject: str) -> str:
    return f"user:{subject}"


def _domain_contains(request_domain: str, stored_domain: str) -> bool:
    return contains(stored_domain, request_domain)


class Authorizer:
    def __init__(self, *, model: str = str(MODEL_PATH), policy: str = str(POLICY_PATH)) -> None:
        self._enforcer = casbin.Enforcer(model, policy)
        self._enforcer.add_named_domain_matching_func("g", _domain_contains)
        self._version: int | None = None
        self.watched = False
        """True while a watch (api/authz/watch.py) pushes every change of the stored
        version here: the version need not be read per request."""
        self._loaded: dict[str, bool] = {}
        self._decisions: dict[tuple[str, str, str, str], bool] = {}

    @property
    def version(self) -> int | None:
        return self._version

    def sync(self, version: int) -> None:
        """Forget loaded assignments and decisions if the stored policy version moved."""
        if version != self._version:
            self._forget()
            self._version = version

    def _forget(self) -> None:
        for user in self._loaded:
            self._enforcer.delete_roles_for_user(user)
        self._loaded.clear()
        self._decisions.clear()

    def is_loaded(self, subject: str) -> bool:
        return user_subject(subject) in self._loaded

    def holds_any(self, subject: str) -> bool:
        """Whether the loaded subject holds at least one recorded role."""
        return self._loaded.get(user_subject(subject), False)

    def load(self, subject: str, holdings: Iterable[Holding]) -> None:
        if len(self._loaded) >= MAX_LOADED_SUBJECTS:
            self._forget()  # bounded memory: holdings reload lazily, one query each
        user = user_subject(subject)
        self._enforcer.delete_roles_for_user(user)
        count = 0
        for holding in holdings:
            self._enforcer.add_role_for_user_in_domain(
                user, role_subject(holding.role), holding.jurisdiction
            )
            count += 1
        self._loaded[user] = count > 0

    def allows(self, subject: str, domain: str, obj: str, action: str) -> bool:
        key = (subject, domain, obj, action)
        decision = self._decisions.get(key)
        if decision is None:
            decision = bool(self._enforcer.enforce(user_subject(subject), domain, obj, action))
            if len(self._decisions) >= MAX_CACHED_DECISIONS:
                self._decisions.clear()  # bounded: a cold cache costs ~100 µs per decision
            self._decisions[key] = decision
        return decision
