from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "helpline.csat"
    label = "csat"
    verbose_name = "Customer satisfaction"

    def ready(self) -> None:
        from helpline.csat import receivers
        from helpline.tickets.signals import ticket_changed

        ticket_changed.connect(receivers.on_ticket_changed, dispatch_uid="csat.on_ticket_changed")
