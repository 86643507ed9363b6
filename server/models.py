"""Imports every domain's models so that Base.metadata knows all tables (alembic, tests)."""

from server.apps import models as apps_models
from server.catalog import models as catalog_models
from server.db import Base
from server.feedback import models as feedback_models
from server.identity import models as identity_models
from server.notify import models as notify_models
from server.privacy import models as privacy_models
from server.records import models as records_models

__all__ = [
    "Base",
    "apps_models",
    "catalog_models",
    "feedback_models",
    "identity_models",
    "notify_models",
    "privacy_models",
    "records_models",
]
