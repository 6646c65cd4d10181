from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "apps.brands"
    verbose_name = "Brands"
