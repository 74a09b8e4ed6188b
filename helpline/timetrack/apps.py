from django.apps import AppConfig


class TimetrackConfig(AppConfig):
    name = "helpline.timetrack"
    label = "timetrack"
    verbose_name = "Time tracking and cost"
