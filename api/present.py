"""What a token is shown of a record: personal data masked unless the token has the pii permission."""

from __future__ import annotations

from typing import Any

from ..access import Token
from ..privacy import mask_record

__all__ = ["present", "present_edge"]


def present(record: dict[str, Any], token: Token, shown: list[str], public: Any = None) -> dict[str, Any]:
    """A node for this token (:func:`orggraph.privacy.mask_record`). Ids of records shown with personal
    data unmasked go to ``shown``; ``public`` names the free-form properties declared non-personal."""
    out, personal = mask_record(record, token.pii, public)
    if personal and token.pii:
        shown.append(record["id"])
    return dict(out)


def present_edge(edge: dict[str, Any], token: Token, shown: list[str], public: Any = None) -> dict[str, Any]:
    """An edge for this token; when its personal data is shown unmasked, both its ends go to ``shown``."""
    out, personal = mask_record(edge, token.pii, public)
    if personal and token.pii:
        shown += [edge["source"], edge["target"]]
    return dict(out)
