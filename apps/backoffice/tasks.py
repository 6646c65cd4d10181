"""The backoffice's tasks, on the global workers."""

from apps.backoffice.brand_creation import TASK, brand_creation_run
from shards.tasks import global_task


@global_task(name=TASK)
def brand_creation_task(*, creation_id: int) -> str:
    """Create a brand asked for in the platform's backoffice (idempotent: a run again redoes
    only what is missing)."""
    return brand_creation_run(creation_id=creation_id).status
