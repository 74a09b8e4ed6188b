from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "helpline.catalog"
    label = "catalog"
    verbose_name = "Service catalog and guided intake"
