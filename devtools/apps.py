from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tooling (demo data, bench data and measurements): nothing in the product imports it."""

    name = "devtools"
    verbose_name = "Development tooling"
