from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "helpline.bench"
    label = "bench"
    verbose_name = "Benchmarks"
