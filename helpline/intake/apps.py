from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "helpline.intake"
    label = "intake"
    verbose_name = "API intake (osTicket-compatible)"
