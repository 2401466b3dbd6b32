"""The pages for paper and spreadsheet returns: the round's returns page, the blank
templates, keying in a paper return, and uploading, checking, importing and undoing a file.

Rounds are fetched through `rounds.manage.round_for`: another partnership's people get 404,
and everything that changes something needs a facilitator (observers only read; partner
leads get 404, as the returns page lists who brought in what). Every change is a POST.
"""

from fractions import Fraction

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.instruments.shape import shape
from sixways.partnerships.roles import viewer_for
from sixways.rounds.answering import RoundClosed
from sixways.rounds.manage import round_for
from sixways.rounds.models import Mode, Round

from . import importing, layout, reading
from .batch import batch_code
from .forms import PaperReturnForm, UploadForm
from .models import Return, Upload
from .saving import Refused, remove_keyed, save_keyed
from .saving import undo as undo_upload


def _round(request: HttpRequest, round_id: int, *, change: bool) -> Round:
    round_ = round_for(request, round_id, change=change)
    if viewer_for(request.user, round_.partnership_id).partner_lead:
        raise Http404("Partner leads do not see a round's returns")
    if round_.mode == Mode.COLLECTIVE:
        raise Http404("A collective round has no paper returns")
    return round_


def _closed(request: HttpRequest, round_: Round) -> HttpResponse:
    messages.info(
        request,
        "The round is not taking answers, so no returns can be brought in. Reopen it first.",
    )
    return redirect("returns:returns", round_.pk)


def _returns_page(
    request: HttpRequest, round_: Round, form: UploadForm, errors: list | None = None
) -> HttpResponse:
    keyed = list(
        Return.objects.filter(round=round_, upload=None)
        .select_related("response__organisation", "entered_by")
        .order_by("-entered_at", "-pk")
    )
    context = {
        "round": round_,
        "batch_code": batch_code(round_),
        "can_change": viewer_for(request.user, round_.partnership_id).may_change,
        "uploads": list(Upload.objects.filter(round=round_).select_related("uploaded_by")),
        "keyed": keyed,
        "form": form,
        "max_bytes": settings.RETURNS_MAX_BYTES,
        "max_rows": settings.RETURNS_MAX_ROWS,
        "errors": errors or [],
    }
    return form_page(request, "returns/returns.jinja", context, form)


@login_required
@require_safe
def returns(request: HttpRequest, round_id: int) -> HttpResponse:
    return _returns_page(request, _round(request, round_id, change=False), UploadForm())


def _download(content, content_type: str, round_: Round, suffix: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    name = slugify(f"{round_.partnership.name} {round_.title}") or "round"
    response["Content-Disposition"] = f'attachment; filename="{name}-{suffix}"'
    return response


@login_required
@require_safe
def template_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=False)
    names = list(round_.organisations.order_by("name").values_list("name", flat=True))
    content = layout.template_xlsx(round_, shape(round_.instrument), names)
    return _download(
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        round_,
        "returns-template.xlsx",
    )


@login_required
@require_safe
def template_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=False)
    content = layout.template_csv(round_, shape(round_.instrument))
    return _download(content, "text/csv; charset=utf-8", round_, "returns-template.csv")


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, round_id: int) -> HttpResponse:
    """Key in one paper return; "Save and enter the next" comes back to a blank form."""
    round_ = _round(request, round_id, change=True)
    if not round_.accepting_answers:
        return _closed(request, round_)
    structure = shape(round_.instrument)
    form = PaperReturnForm(
        round_,
        structure,
        request.POST if request.method == "POST" else None,
        initial={"batch": batch_code(round_)},
    )
    context = {"round": round_, "form": form, "structure": structure, "errors": []}
    if request.method == "POST" and form.is_valid():
        try:
            save_keyed(round_, form.row(), request.user)
        except RoundClosed:
            return _closed(request, round_)
        except Refused as refused:
            # Each links to the field it is about (saving.save_keyed names it).
            context["errors"] = [
                {"text": p.text, "href": f"#{p.column or 'reference'}"} for p in refused.problems
            ]
        else:
            audit.record(request, "returns.keyed", round_.partnership, round_)
            messages.success(request, "The return has been saved.")
            if request.POST.get("then") == "next":
                return redirect("returns:enter", round_.pk)
            return redirect("returns:returns", round_.pk)
    return form_page(request, "returns/enter.jinja", context, form)


class RefuseLarge(FileUploadHandler):
    """Stops keeping an upload once it passes RETURNS_MAX_BYTES: the rest of a 50 MB file is
    read and thrown away, never written to memory or disk."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.RETURNS_MAX_BYTES:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the handlers after this one keep the file


@csrf_exempt  # checked in _upload, once the size limit is in place (as Django's docs do it)
@login_required
@require_POST
def upload(request: HttpRequest, round_id: int) -> HttpResponse:
    limit = RefuseLarge(request)
    request.upload_handlers.insert(0, limit)
    return _upload(request, round_id, limit)


@csrf_protect
def _upload(request: HttpRequest, round_id: int, limit: RefuseLarge) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    if not round_.accepting_answers:
        return _closed(request, round_)
    form = UploadForm(request.POST, request.FILES)
    problem = ""
    if limit.too_large:
        form = UploadForm()
        problem = str(importing.too_large(int(request.META.get("CONTENT_LENGTH") or 0)))
    elif form.is_valid():
        try:
            received = importing.receive(round_, form.cleaned_data["file"], request.user)
        except reading.Unreadable as error:
            problem = str(error)
        else:
            audit.record(
                request, "returns.uploaded", round_.partnership, round_, detail=received.name
            )
            importing.start(received)
            return redirect("returns:upload-detail", round_.pk, received.pk)
    problem = problem or " ".join(form.errors.get("file", []))
    form.errors["file"] = form.error_class([problem])
    return _returns_page(request, round_, form, [{"text": problem, "href": "#file"}])


def _found(round_: Round, upload_id: int) -> Upload:
    return get_object_or_404(
        Upload.objects.select_related("uploaded_by"), round=round_, pk=upload_id
    )


@login_required
@require_safe
def upload_detail(request: HttpRequest, round_id: int, upload_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=False)
    found = _found(round_, upload_id)
    problems = found.problems if found.state == Upload.State.PROBLEMS else []
    preview = found.preview or {}
    behaviours = [
        b
        | {part: Fraction(b[part]) if b.get(part) else None for part in ("before", "after", "file")}
        for b in preview.get("behaviours", [])
    ]
    return render(
        request,
        "returns/upload.jinja",
        {
            "round": round_,
            "upload": found,
            "can_change": viewer_for(request.user, round_.partnership_id).may_change,
            "errors": [
                {"text": p["text"], "href": f"#problem-{i}"} for i, p in enumerate(problems)
            ],
            "behaviours": behaviours,
            # Before and after only where the round shows its figures now and would then.
            "show_change": bool(preview.get("figures_after")),
        },
        status=400 if problems else 200,
    )


@login_required
@require_safe
def upload_progress(request: HttpRequest, round_id: int, upload_id: int) -> JsonResponse:
    """How far checking or importing has got, for app.js to move the progress bar."""
    round_ = _round(request, round_id, change=False)
    found = _found(round_, upload_id)
    return JsonResponse(
        {"state": found.state, "checked": found.checked, "total": found.total},
        headers={"Cache-Control": "no-store"},
    )


@login_required
@require_POST
def confirm(request: HttpRequest, round_id: int, upload_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    found = _found(round_, upload_id)
    if not round_.accepting_answers:
        return _closed(request, round_)
    importing.confirm(found, request.user)
    if found.state == Upload.State.IMPORTED:
        messages.success(request, f"{found.saved:,} returns from {found.name} have been imported.")
    return redirect("returns:upload-detail", round_.pk, found.pk)


@login_required
@require_POST
def undo(request: HttpRequest, round_id: int, upload_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    found = _found(round_, upload_id)
    try:
        taken = undo_upload(found, request.user)
    except RoundClosed:
        return _closed(request, round_)
    if taken:
        audit.record(
            request,
            "returns.undone",
            round_.partnership,
            round_,
            detail=f"{taken} from {found.name}",
        )
        messages.success(request, f"The {taken:,} returns from {found.name} have been taken out.")
    return redirect("returns:upload-detail", round_.pk, found.pk)


@login_required
@require_POST
def remove(request: HttpRequest, round_id: int, return_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    try:
        removed = remove_keyed(round_, return_id)
    except RoundClosed:
        return _closed(request, round_)
    if not removed:
        raise Http404("No such keyed-in return in this round")
    audit.record(request, "returns.removed", round_.partnership, round_)
    messages.success(request, "The return has been taken out.")
    return redirect("returns:returns", round_.pk)
