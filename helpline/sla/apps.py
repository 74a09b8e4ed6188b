from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "helpline.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from helpline.sla.models import Policy
        from helpline.sla.selectors import forget_policy_names

        # Cache invalidation only: the ticket JSON reads policy names from a cache.
        post_save.connect(forget_policy_names, sender=Policy, dispatch_uid="sla-policy-names")
        post_delete.connect(forget_policy_names, sender=Policy, dispatch_uid="sla-policy-names-d")
