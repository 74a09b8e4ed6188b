from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "helpline.accounts"
    label = "accounts"
    verbose_name = "Accounts"
