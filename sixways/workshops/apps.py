from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "sixways.workshops"

    def ready(self) -> None:
        from sixways.results.queries import SHOWN_ELSEWHERE

        from .rooms import rooms

        # What a room saw of a round where people answer for themselves decides, with the
        # round's answers, whether its results may be shown (results/privacy.py, rule 7).
        if rooms not in SHOWN_ELSEWHERE:
            SHOWN_ELSEWHERE.append(rooms)
