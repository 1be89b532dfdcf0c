"""The scheduler tests' district and their helpers, shared with tests/service/scheduling/."""

from tests.service.scheduling.conftest import act, district, tick  # noqa: F401 (fixtures)
