from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "helpline.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from helpline.tickets.signals import ticket_changed
        from helpline.webhooks.receivers import on_ticket_changed

        ticket_changed.connect(on_ticket_changed, dispatch_uid="helpline.webhooks")
