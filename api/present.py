"""What a token is shown of a record: personal data masked unless the token has the pii permission."""

from __future__ import annotations

from typing import Any

from ..access import Token
from ..model import mask_phone
from ..report import mask_address

__all__ = ["present"]


def present(record: dict[str, Any], token: Token, shown: list[str]) -> dict[str, Any]:
    """A copy of a node for this token. Ids of records shown with personal data unmasked go to ``shown``."""
    out = dict(record)
    personal = False
    if out.get("phone"):
        personal = True
        if not token.pii:
            out["phone"] = mask_phone(out["phone"])
    if out.get("kind") == "Household" and out.get("address"):
        personal = True
        if not token.pii:
            out["address"] = mask_address(out["address"])
    if personal and token.pii:
        shown.append(out["id"])
    return out
