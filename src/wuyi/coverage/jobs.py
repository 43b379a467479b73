"""Coverage's background jobs (run by ``wuyi work``; imported in ``CoverageConfig.ready``)."""

from __future__ import annotations

import logging

from wuyi.core import background
from wuyi.coverage import tallies
from wuyi.testing.models import RoundStatus, TestingRound

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30


@background.every(REFRESH_SECONDS, "coverage.refresh")
def refresh_tallies() -> dict[str, object]:
    """Refresh the changed community tallies of every active round.

    The district and street pages read the tallies, so they must not wait for someone to
    run ``wuyi coverage refresh``. Each round is its own transaction: one round failing
    (reported under ``errors``) leaves the others refreshed, and the next run retries it.
    """
    refreshed: dict[str, int] = {}
    errors: dict[str, str] = {}
    for round_ in TestingRound.objects.filter(status=RoundStatus.ACTIVE).order_by("code"):
        try:
            refreshed[round_.code] = tallies.refresh_changed(round_)
        except Exception as exc:  # one round's failure must not stop the others
            log.exception("tally refresh of round %s failed", round_.code)
            errors[round_.code] = f"{type(exc).__name__}: {exc}"
    result: dict[str, object] = {
        "rounds": len(refreshed) + len(errors),
        "communities_refreshed": sum(refreshed.values()),
        "by_round": refreshed,
    }
    if errors:
        result["errors"] = errors
    return result
