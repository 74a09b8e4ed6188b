from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "helpline.csat"
    label = "csat"
    verbose_name = "Customer satisfaction"

    def ready(self) -> None:
        from helpline.csat import receivers
        from helpline.tickets.signals import ticket_changes

        ticket_changes.connect(receivers.on_ticket_changes, dispatch_uid="csat.on_ticket_changes")
