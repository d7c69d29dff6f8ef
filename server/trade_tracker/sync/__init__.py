"""The fills sync: the venue-neutral engine (``engine``) and the sink it hands a venue's walk
(``sink``), server-owned jobs (``jobs``), the time estimate
(``estimate``) and the offline status answer (``status``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "CLIENT_REQUESTS_PER_SECOND": "estimate",
    "FILLS_PER_REQUEST": "estimate",
    "LIMIT_REQUESTS_PER_SECOND": "estimate",
    "MIN_OBSERVED_PAGES": "estimate",
    "NOTHING_STORED": "status",
    "DiscoveryResult": "results",
    "Estimate": "estimate",
    "Estimator": "jobs",
    "JobOut": "jobs",
    "JobProgress": "jobs",
    "JobStatus": "jobs",
    "LabelStatus": "status",
    "Phase": "results",
    "ProductStatus": "status",
    "ProductSyncResult": "results",
    "ProgressCallback": "results",
    "RunOut": "status",
    "Stopped": "sink",
    "StoreSink": "sink",
    "SyncJob": "jobs",
    "SyncJobs": "jobs",
    "SyncProgress": "results",
    "SyncResult": "results",
    "SyncRunner": "jobs",
    "SyncStatusOut": "status",
    "empty_store_hint": "status",
    "history_start": "estimate",
    "partial_result": "results",
    "say_duration": "estimate",
    "stop_reason": "engine",
    "sync_fills": "engine",
    "sync_status": "status",
}
__all__ = [
    "CLIENT_REQUESTS_PER_SECOND",
    "FILLS_PER_REQUEST",
    "LIMIT_REQUESTS_PER_SECOND",
    "MIN_OBSERVED_PAGES",
    "NOTHING_STORED",
    "DiscoveryResult",
    "Estimate",
    "Estimator",
    "JobOut",
    "JobProgress",
    "JobStatus",
    "LabelStatus",
    "Phase",
    "ProductStatus",
    "ProductSyncResult",
    "ProgressCallback",
    "RunOut",
    "Stopped",
    "StoreSink",
    "SyncJob",
    "SyncJobs",
    "SyncProgress",
    "SyncResult",
    "SyncRunner",
    "SyncStatusOut",
    "empty_store_hint",
    "history_start",
    "partial_result",
    "say_duration",
    "stop_reason",
    "sync_fills",
    "sync_status",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .engine import stop_reason, sync_fills
    from .estimate import (
        CLIENT_REQUESTS_PER_SECOND,
        FILLS_PER_REQUEST,
        LIMIT_REQUESTS_PER_SECOND,
        MIN_OBSERVED_PAGES,
        Estimate,
        history_start,
        say_duration,
    )
    from .jobs import Estimator, JobOut, JobProgress, JobStatus, SyncJob, SyncJobs, SyncRunner
    from .results import (
        DiscoveryResult,
        Phase,
        ProductSyncResult,
        ProgressCallback,
        SyncProgress,
        SyncResult,
        partial_result,
    )
    from .sink import Stopped, StoreSink
    from .status import NOTHING_STORED, LabelStatus, ProductStatus, RunOut, SyncStatusOut, empty_store_hint, sync_status
