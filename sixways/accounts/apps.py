from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save, pre_delete


class AccountsConfig(AppConfig):
    name = "sixways.accounts"

    def ready(self):
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin
        from django.contrib.auth import get_user_model

        from . import checks, signals  # noqa: F401 - registers the deploy checks

        # The admin signs in through our sign-in page, with its rate limits and two-factor,
        # not through the admin's own form.
        admin.site.login = secure_admin_login(admin.site.login)

        user_model = get_user_model()
        post_save.connect(signals.end_sessions_of_switched_off, sender=user_model)
        pre_delete.connect(signals.end_sessions_of_deleted, sender=user_model)
        post_migrate.connect(signals.create_cache_table, sender=self)
