"""A small RegistrationBackend over the current Store (tests; the integrator swaps in the policy).

register: inspect the certificate, refuse expired ones, `Store.register_certificate`.
lock: lock the user's and the certificate's password scopes at once, as the chat flow does.
"""

from __future__ import annotations

from bot.certs import CertificateError, inspect_certificate
from bot.store import AlreadyActiveElsewhere, AlreadyActiveForUser, LimitReached, Store
from bot.store.repository import NewCertificate
from bot.webapp.backend import LockKind, Outcome
from bot.webapp.initdata import WebAppUser

__all__ = ["StoreBackend"]


class StoreBackend:
    def __init__(self, store: Store, *, max_active: int = 1, lock_minutes: int = 30) -> None:
        self.store = store
        self.max_active = max_active
        self.lock_minutes = lock_minutes

    def _scopes(self, user_id: int, cert_der: bytes | None) -> list[str]:
        scopes = [f"user:{user_id}"]
        if cert_der is not None:
            try:
                scopes.append(f"cert:{inspect_certificate(cert_der).fingerprint_sha256}")
            except CertificateError:
                pass
        return scopes

    async def register(self, user: WebAppUser, cert_der: bytes) -> Outcome:
        user_id = user.id
        state = await self.store.lock_state(self._scopes(user_id, cert_der))
        if state.locked_until is not None:
            return Outcome(False, "locked", {"until": state.locked_until.isoformat()})
        try:
            info = inspect_certificate(cert_der)
        except CertificateError as exc:
            return Outcome(False, exc.code)
        if info.expired:
            return Outcome(False, "expired", {"date": info.not_after.date().isoformat()})
        record = NewCertificate.of(info, key_format="webapp", cert_der=cert_der)
        try:
            await self.store.register_certificate(user_id, record, max_active=self.max_active)
        except AlreadyActiveForUser:
            return Outcome(False, "already_registered")
        except AlreadyActiveElsewhere:
            return Outcome(False, "active_elsewhere")
        except LimitReached:
            return Outcome(False, "limit_reached")
        return Outcome(True, "registered", {"owner": info.owner_name})

    async def lock(
        self, user: WebAppUser, cert_der: bytes | None, kind: LockKind = "password"
    ) -> Outcome:
        state = await self.store.record_attempt_failure(
            self._scopes(user.id, cert_der), max_attempts=1, lock_minutes=self.lock_minutes
        )
        until = state.locked_until.isoformat() if state.locked_until else ""
        return Outcome(True, "locked", {"until": until})
