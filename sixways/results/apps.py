from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "sixways.results"
