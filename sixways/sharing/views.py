"""Board links: the facilitator's pages that make and manage them, and the read-only page a
link opens for someone without an account.

Links are reached through `Round.objects.for_user` / `Partnership.objects.for_user` with the
roles that may change a partnership: anyone else, observers included, gets 404. Every change
is a POST and goes in the partnership's activity log; so does every use of a link.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.design.text import plural
from sixways.partnerships.models import Partnership
from sixways.partnerships.roles import CHANGERS
from sixways.rounds.models import Round
from sixways.rounds.models import Status as RoundStatus

from . import links
from .forms import BoardLinkForm
from .models import SECTIONS, BoardLink, Status


def _partnership(request: HttpRequest, partnership_id: int) -> Partnership:
    return get_object_or_404(
        Partnership.objects.for_user(request.user, CHANGERS), pk=partnership_id
    )


def _link(request: HttpRequest, board_link_id: int) -> BoardLink:
    partnerships = Partnership.objects.for_user(request.user, CHANGERS)
    return get_object_or_404(
        BoardLink.objects.select_related("round__partnership").filter(
            round__partnership__in=partnerships
        ),
        pk=board_link_id,
    )


@login_required
@require_safe
def board_links(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id)
    found = list(
        BoardLink.objects.filter(round__partnership=partnership).select_related(
            "round", "created_by"
        )
    )
    rounds = list(Round.objects.filter(partnership=partnership).order_by("-opens_on", "-id"))
    # A live link is superseded once a later round of the partnership has closed: one query
    # for the whole list, not one a link.
    latest = Round.objects.filter(partnership=partnership, status=RoundStatus.CLOSED).aggregate(
        latest=Max("closes_on")
    )["latest"]
    superseded = {
        link.pk
        for link in found
        if not link.snapshot and latest is not None and latest > link.round.closes_on
    }
    return render(
        request,
        "sharing/board_links.jinja",
        {
            "partnership": partnership,
            "links": found,
            "rounds": rounds,
            "superseded": superseded,
            "titles": links.TITLES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_board_link(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(
        Round.objects.for_user(request.user, CHANGERS).select_related("partnership", "instrument"),
        pk=round_id,
    )
    shows = links.shows_figures(round_)
    if request.method == "POST":
        form = BoardLinkForm(request.POST, shows_figures=shows)
        if form.is_valid():
            data = form.cleaned_data
            link, _ = links.create(
                request,
                round_,
                label=data["label"],
                sections=[key for key in SECTIONS if key in data["sections"]],
                comments=data["comments"] == "yes",
                downloads=data["downloads"] == "yes",
                snapshot=data["kind"] == "snapshot",
                expires_at=form.expires_at(),
            )
            messages.success(
                request, f"Board link ‘{link.label}’ made. Copy it from the list below."
            )
            return redirect(f"{_list_url(round_.partnership_id)}#link-{link.pk}")
    else:
        form = BoardLinkForm(initial=BoardLinkForm.initial_values(), shows_figures=shows)
    return form_page(
        request,
        "sharing/board_new.jinja",
        {"round": round_, "form": form, "shows_figures": shows},
        form,
    )


def _list_url(partnership_id: int) -> str:
    return reverse("sharing:board-links", args=[partnership_id])


def _change(request: HttpRequest, link: BoardLink, action: str, message: str) -> HttpResponse:
    audit.record(request, action, link.round.partnership, link)
    messages.success(request, message)
    return redirect(f"{_list_url(link.round.partnership_id)}#link-{link.pk}")


@login_required
@require_POST
def pause(request: HttpRequest, board_link_id: int) -> HttpResponse:
    link = _link(request, board_link_id)
    if link.status != Status.ACTIVE:
        raise Http404("Only a working link can be paused")
    link.paused_at = timezone.now()
    link.save(update_fields=["paused_at"])
    return _change(request, link, "board-link.paused", f"‘{link.label}’ is paused.")


@login_required
@require_POST
def resume(request: HttpRequest, board_link_id: int) -> HttpResponse:
    link = _link(request, board_link_id)
    if link.status != Status.PAUSED:
        raise Http404("Only a paused link can be resumed")
    link.paused_at = None
    link.save(update_fields=["paused_at"])
    return _change(request, link, "board-link.resumed", f"‘{link.label}’ works again.")


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, board_link_id: int) -> HttpResponse:
    link = _link(request, board_link_id)
    if link.revoked_at:
        raise Http404("This link is already revoked")
    if request.method == "POST":
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        return _change(
            request, link, "board-link.revoked", f"‘{link.label}’ is revoked: it no longer works."
        )
    return render(
        request,
        "sharing/board_revoke.jinja",
        {
            "partnership": link.round.partnership,
            "link": link,
            "links": [link],
            "title": f"Revoke ‘{link.label}’?",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def revoke_all(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id)
    live = BoardLink.objects.filter(round__partnership=partnership, revoked_at__isnull=True)
    if request.method == "POST":
        now = timezone.now()
        found = list(live.select_related("round"))
        live.filter(pk__in=[link.pk for link in found]).update(revoked_at=now)
        for link in found:
            audit.record(request, "board-link.revoked", partnership, link, detail="all revoked")
        messages.success(request, f"{plural(len(found), 'board link')} revoked.")
        return redirect("sharing:board-links", partnership.pk)
    return render(
        request,
        "sharing/board_revoke.jinja",
        {
            "partnership": partnership,
            "links": list(live.select_related("round")),
            "title": "Revoke every board link?",
        },
    )


# --- The page a link opens -------------------------------------------------------------------


def _public(response: HttpResponse) -> HttpResponse:
    """A board link's page: never sent on as a referrer, indexed or kept by a browser or proxy
    (no_store_for_private_pages adds the Cache-Control)."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _opened(request: HttpRequest, token: str) -> tuple[BoardLink | None, HttpResponse | None]:
    """The link a token opens and works now, or the page that says why it does not. An unknown
    token is a 404, which limit_link_guessing counts against the address."""
    link = BoardLink.objects.from_token(token)
    if link is None:
        raise Http404("No such board link")
    status = link.status
    if status == Status.ACTIVE:
        return link, None
    code = 403 if status == Status.PAUSED else 410
    response = render(
        request, "sharing/board_refused.jinja", {"link": link, "status": status}, status=code
    )
    return None, _public(response)


def _context(link: BoardLink) -> dict:
    return {
        "link": link,
        "round": link.round,
        "superseded_by": links.superseded_by(link),
        "as_at": link.created_at if link.snapshot else timezone.now(),
    }


@require_safe
def board(request: HttpRequest, token: str) -> HttpResponse:
    link, refused = _opened(request, token)
    if refused:
        return refused
    context = {**_context(link), "content": links.page(link), "token": token}
    links.count_use(link, "opened the page")
    return _public(render(request, "sharing/board.jinja", context))


@require_safe
def board_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link, refused = _opened(request, token)
    if refused:
        return refused
    if not link.downloads:
        raise Http404("This link offers no download")
    content = links.pdf(link, links.page(link), _context(link))
    links.count_use(link, "downloaded the PDF")
    response = HttpResponse(content, content_type="application/pdf")
    name = slugify(f"{link.round.partnership.name} {link.round.title} {link.label}") or "results"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return _public(response)
