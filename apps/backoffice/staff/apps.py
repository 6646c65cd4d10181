from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "apps.backoffice.staff"
    label = "staff"
    verbose_name = "Staff controls"
