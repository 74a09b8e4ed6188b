from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "helpline.audit"
    label = "audit"
    verbose_name = "Audit log"
