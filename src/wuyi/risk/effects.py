"""What designating and lowering an area sets off in other parts of wuyi.

Control (issue 7) makes the residents inside risk persons under the area's measure,
testing puts the area into daily rounds, services give it priority. Those apps connect
receivers to these signals instead of risk importing them: the dependency points from
them to risk, never back. Each signal is sent after the decision's transaction commits,
with ``area`` (a RiskArea) and ``decision`` (the approved Decision).
"""

from __future__ import annotations

from django.dispatch import Signal

# An area became a risk area (approved designation): residents inside come under control.
area_designated = Signal()
# An area's level changed or it was lowered to low: measures end or change.
area_lowered = Signal()
