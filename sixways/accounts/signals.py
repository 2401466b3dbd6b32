from django.core.management import call_command

from . import privacy


def end_sessions_of_switched_off(sender, instance, **kwargs):
    # Django already refuses an inactive user on their next request; deleting the sessions
    # makes sure nothing else that reads them (or a later reactivation) brings them back.
    if not instance.is_active:
        privacy.end_sessions(instance)


def end_sessions_of_deleted(sender, instance, **kwargs):
    privacy.end_sessions(instance)


def create_cache_table(sender, using="default", **kwargs):
    """Rate limits and one-time codes live in the database cache: create its table with the
    others, so `migrate` is the only step a new installation needs."""
    call_command("createcachetable", database=using, verbosity=0)
