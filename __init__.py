"""sbrflow: the recurring tax-return work of a Dutch accounting office, run on Prefect."""

import os as _os

__version__ = "0.1.0"

# Prefect's anonymous analytics write to its own SQLite database and hit "database is locked"
# there under load (DESIGN.md, measured here). Users can still switch it on explicitly.
_os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
