"""Imports every domain's models so that ``Base.metadata`` is complete (for Alembic and tests)."""

from nigran.access import auth_models  # noqa: F401
from nigran.access import models as access_models  # noqa: F401
from nigran.audit import models as audit_models  # noqa: F401
from nigran.core.modules import optional_import
from nigran.extract import models as extract_models  # noqa: F401
from nigran.geo import models as geo_models  # noqa: F401
from nigran.incidents import dedup_models  # noqa: F401
from nigran.incidents import models as incident_models  # noqa: F401
from nigran.jobs import models as job_models  # noqa: F401
from nigran.monitoring import models as monitoring_models  # noqa: F401
from nigran.news import models as news_models  # noqa: F401
from nigran.policy import models as policy_models  # noqa: F401

#: Domains whose tables arrive with their own migration branch; a domain without a models module yet is
#: skipped, but an import error inside one that exists is raised.
DOMAIN_MODELS = (
    "nigran.assessment.models",
    "nigran.risk.models",
    "nigran.alerts.models",
    "nigran.foresight.models",
    "nigran.ops.models",
)

for _name in DOMAIN_MODELS:
    optional_import(_name)
