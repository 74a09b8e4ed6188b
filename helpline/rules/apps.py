from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "helpline.rules"
    label = "rules"
    verbose_name = "Automation"

    def ready(self) -> None:
        from helpline.rules import receivers
        from helpline.tickets.signals import ticket_changes

        ticket_changes.connect(receivers.on_ticket_changes, dispatch_uid="rules.on_ticket_changes")
