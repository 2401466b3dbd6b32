from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("rounds/<int:round_id>/results/", views.round_overview, name="round"),
    path(
        "rounds/<int:round_id>/results/organisations/",
        views.organisations,
        name="organisations",
    ),
    path(
        "rounds/<int:round_id>/results/behaviours/<str:behaviour>/",
        views.behaviour,
        name="behaviour",
    ),
    path(
        "rounds/<int:round_id>/results/comments/<str:behaviour>/",
        views.comments,
        name="comments",
    ),
    path("rounds/<int:round_id>/results/agreed-and-individual/", views.layers, name="layers"),
    path("partnerships/<int:partnership_id>/trend/", views.trend, name="trend"),
    path("partnerships/<int:partnership_id>/side-by-side/", views.rollup_page, name="rollup"),
    path(
        "partnerships/<int:partnership_id>/side-by-side.csv",
        views.rollup_csv,
        name="rollup-csv",
    ),
    path(
        "partnerships/<int:partnership_id>/side-by-side.json",
        views.rollup_json,
        name="rollup-json",
    ),
    path("partnerships/<int:partnership_id>/benchmark/", views.benchmark_page, name="benchmark"),
    path("benchmark/overview/", views.benchmark_overview, name="benchmark-overview"),
    # Downloads. The addresses are documented in docs/exports.md: keep them stable.
    path("rounds/<int:round_id>/board-report.pdf", views.report_pdf, name="pdf"),
    path("rounds/<int:round_id>/summary.pptx", views.summary_pptx, name="pptx"),
    path("rounds/<int:round_id>/results.xlsx", views.results_xlsx, name="xlsx"),
    path("rounds/<int:round_id>/responses.csv", views.responses_csv, name="csv"),
    path("rounds/<int:round_id>/results.json", views.results_json, name="json"),
    path("rounds/<int:round_id>/actions.csv", views.actions_csv, name="actions-csv"),
    path(
        "rounds/<int:round_id>/agreed-and-individual.csv",
        views.layers_csv,
        name="layers-csv",
    ),
    path(
        "rounds/<int:round_id>/agreed-and-individual-by-organisation.csv",
        views.layers_by_organisation_csv,
        name="layers-by-organisation-csv",
    ),
]
