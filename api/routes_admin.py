"""For admins: the tokens and the audit log of personal data shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..access import tokens
from .deps import StoreDep, require_role
from .schemas import AuditRow, TokenPublic

__all__ = ["router"]

router = APIRouter(tags=["admin"], dependencies=[require_role("admin")])


@router.get("/tokens", response_model=list[TokenPublic], summary="Every token (never their secrets)")
def list_tokens(store: StoreDep) -> list[TokenPublic]:
    return [TokenPublic(**t.public()) for t in tokens(store)]


@router.get("/audit", response_model=list[AuditRow], summary="Who was shown personal data, when and where")
def audit_log(store: StoreDep, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditRow]:
    return [AuditRow(**r) for r in store.audit_rows(after=after, limit=limit)]
