from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "sixways.workshops"
