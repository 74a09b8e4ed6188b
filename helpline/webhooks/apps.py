from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "helpline.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from helpline.tickets.signals import ticket_changes
        from helpline.webhooks.receivers import on_ticket_changes

        ticket_changes.connect(on_ticket_changes, dispatch_uid="helpline.webhooks")
