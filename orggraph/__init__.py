"""orggraph: the grassroots organizational network of a city as a graph."""

from .exceptions import InvalidRecords, InvalidStoredRecords, NotFound, OrgGraphError, RecordError, StoreError, StoreNotFound, StoreUnavailable
from .load import LoadReport
from .store import EmbeddedStore, Store, open_store

__version__ = "0.1.0"

__all__ = [
    "OrgGraphError",
    "InvalidRecords",
    "InvalidStoredRecords",
    "RecordError",
    "NotFound",
    "StoreError",
    "StoreUnavailable",
    "StoreNotFound",
    "LoadReport",
    "Store",
    "EmbeddedStore",
    "open_store",
]
