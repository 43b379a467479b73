"""Coverage's background jobs (run by ``wuyi work``; imported in ``CoverageConfig.ready``)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from wuyi.core import background
from wuyi.coverage import tallies
from wuyi.testing.models import RoundStatus, TestingRound

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30
# A closed round still gains door knocks, exemptions and door notes while its closing
# report is prepared: its tallies keep being refreshed this many days after its end.
CLOSED_GRACE_DAYS = 3


@background.every(REFRESH_SECONDS, "coverage.refresh")
def refresh_tallies() -> dict[str, object]:
    """Refresh the changed community tallies of every active or recently closed round.

    The district and street pages read the tallies, so they must not wait for someone to
    run ``wuyi coverage refresh``. Each round is its own transaction: one round failing
    (reported under ``errors``) leaves the others refreshed, and the next run retries it.
    """
    refreshed: dict[str, int] = {}
    errors: dict[str, str] = {}
    since = timezone.localdate() - dt.timedelta(days=CLOSED_GRACE_DAYS)
    rounds = TestingRound.objects.filter(
        Q(status=RoundStatus.ACTIVE) | Q(status=RoundStatus.CLOSED, end_date__gte=since)
    )
    for round_ in rounds.order_by("code"):
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
