"""Control's background jobs (run by ``wuyi work``; imported in ``ControlConfig.ready``)."""

from __future__ import annotations

from wuyi.control import pools
from wuyi.core import background


@background.every(5, "control.positive_pools")
def positive_pools() -> dict[str, int]:
    """Members of positive pools under control, decided retests applied: see ``pools``."""
    return pools.run()
