from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "helpline.directory"
    label = "directory"
    verbose_name = "Departments, teams and help topics"
