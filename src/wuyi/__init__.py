"""无疫 wuyi: community-level outbreak response for a whole city."""

__version__ = "0.1.0"
