from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tenants and seller accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import rls
        from .idle import restart_on_login
        from .timezones import remember_on_login

        rls.connect()
        user_logged_in.connect(restart_on_login, dispatch_uid="accounts.idle.restart_on_login")
        user_logged_in.connect(remember_on_login, dispatch_uid="accounts.timezones.remember_on_login")
