"""Settings, split by concern; every service URL and secret comes from the environment."""

from betting.settings.base import *  # noqa: F403
from betting.settings.databases import *  # noqa: F403
from betting.settings.limits import *  # noqa: F403
from betting.settings.logins import *  # noqa: F403
from betting.settings.observability import *  # noqa: F403
from betting.settings.queues import *  # noqa: F403
from betting.settings.services import *  # noqa: F403
from betting.settings.staff import *  # noqa: F403
from betting.settings.tenancy import *  # noqa: F403
