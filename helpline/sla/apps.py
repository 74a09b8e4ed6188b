from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "helpline.sla"
    label = "sla"
    verbose_name = "Service levels"
