"""For admins: the tokens and the audit log of personal data shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..access import audit_within, tokens_within
from .deps import ScopeDep, StoreDep, require_role
from .schemas import AuditRow, TokenPublic

__all__ = ["router"]

router = APIRouter(tags=["admin"], dependencies=[require_role("admin")])


@router.get("/tokens", response_model=list[TokenPublic],
            summary="The tokens whose areas lie within the admin's own (never their secrets)")
def list_tokens(store: StoreDep, scope: ScopeDep) -> list[TokenPublic]:
    return [TokenPublic(**t.public()) for t in tokens_within(store, scope)]


@router.get("/audit", response_model=list[AuditRow],
            summary="Who was shown personal data within the admin's areas, when and where; page on with after=seq")
def audit_log(store: StoreDep, scope: ScopeDep, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditRow]:
    return [AuditRow(**r) for r in audit_within(store, scope, after=after, limit=limit)]
