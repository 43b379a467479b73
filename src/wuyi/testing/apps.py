from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestingConfig(AppConfig):
    name = "wuyi.testing"
    label = "testing"
    verbose_name = _("核酸检测")

    def ready(self) -> None:
        # How grants reach testing rows (see wuyi.accounts.scoping): offices by the
        # territory path, grid workers by the resident's grid, site staff by their site,
        # lab staff by their lab.
        from wuyi.accounts.scoping import declare

        declare("testing.samplingsite", path="path", grid=None, site="pk")
        declare("testing.lab", path=None, grid=None, lab="pk")
        declare("testing.devicetoken", path="site__path", grid=None, site="site", lab="lab")
        declare("testing.tube", path="path", grid=None, site="site", lab="lab")
        declare("testing.scan", path="path", grid="grid", site="site")
        declare("testing.sampled", path="path", grid="grid")
        declare("testing.transportbox", path="site__path", grid=None, site="site", lab="lab")
        declare("testing.result", path="tube__path", grid=None, site="tube__site", lab="lab")
        declare("testing.retesttask", path="path", grid="grid", site="source_tube__site")
