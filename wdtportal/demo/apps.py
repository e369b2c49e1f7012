from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "wdtportal.demo"
    label = "demo"
    verbose_name = "Demo"
