"""Following cities and twinnings (following twice, or unfollowing what one does not follow,
is harmless, so that an app can retry), the offices' proposals of changes to twinnings, and
the cities' other names from GeoNames."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import data_versions
from core.i18n import LANGUAGE_CODES, column, translated_columns
from core.text import clean_text

from . import geonames
from .error_codes import CityErrorCode
from .models import (
    PROPOSABLE_FIELDS,
    City,
    CityFollow,
    CityOffice,
    Twinning,
    TwinningFollow,
    TwinningProposal,
)
from .permissions import PUBLISHING_ROLES, has_role
from .signals import follows_changed


def _changed(user) -> None:
    transaction.on_commit(lambda: follows_changed.send(sender=CityFollow, user_id=user.pk))


def _follow(model, user, **target) -> None:
    try:
        with transaction.atomic():
            model.objects.get_or_create(user=user, **target)
    except IntegrityError:
        # A concurrent request followed first: the row the user wanted exists.
        pass


def follow_city(user, city: City) -> None:
    _follow(CityFollow, user, city=city)
    _changed(user)


def unfollow_city(user, city: City) -> None:
    CityFollow.objects.filter(user=user, city=city).delete()
    _changed(user)


def follow_twinning(user, twinning: Twinning) -> None:
    _follow(TwinningFollow, user, twinning=twinning)
    _changed(user)


def unfollow_twinning(user, twinning: Twinning) -> None:
    TwinningFollow.objects.filter(user=user, twinning=twinning).delete()
    _changed(user)


# --- Proposals of changes to a twinning -----------------------------------------------------
#
# Twinnings are the superusers' to change. An office's publishers know their own city's
# agreements best, so they propose; a superuser approves (the values are applied) or rejects.


def shown(value) -> str:
    """A twinning's value as a proposal keeps it in ``based_on`` and compares it: dates in
    ISO form, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def may_propose_for(user, office: CityOffice, twinning: Twinning) -> bool:
    """Whether ``user`` may propose changes to ``twinning`` for ``office``: a publisher of an
    office of one of the pair's cities (superusers may act for any office)."""
    return office.city_id in (twinning.city_a_id, twinning.city_b_id) and has_role(
        user, [office.pk], PUBLISHING_ROLES
    )


def proposal_values(twinning: Twinning) -> dict:
    """The twinning's present values of every field a proposal may change: what the admin's
    form starts from."""
    return {field: getattr(twinning, field) for field in PROPOSABLE_FIELDS}


@transaction.atomic
def propose_twinning_change(user, office: CityOffice, twinning: Twinning, values: dict):
    """Record ``office``'s proposal of ``values`` (any of ``PROPOSABLE_FIELDS``; the others
    stay as the twinning has them) for ``twinning``, made by ``user``.

    The values are checked as the twinning itself would check them, applied to it (its
    validators and its constraints), so that a proposal that passes can be approved as it is.
    """
    if not may_propose_for(user, office, twinning):
        raise ValidationError(
            _("Only a publisher of an office of one of the twinned cities can propose changes."),
            code=CityErrorCode.NOT_YOUR_TWINNING,
        )
    unknown = set(values) - set(PROPOSABLE_FIELDS)
    if unknown:
        raise ValueError(f"not proposable: {sorted(unknown)}")
    proposed = {**proposal_values(twinning), **values}
    for field in translated_columns("description"):
        proposed[field] = clean_text(proposed[field])
    proposed["agreement_url"] = (proposed["agreement_url"] or "").strip()

    # The same rules as the twinning's: its fields' validators and its constraints.
    changed = Twinning.objects.get(pk=twinning.pk)
    for field, value in proposed.items():
        setattr(changed, field, value)
    changed.full_clean(exclude=["city_a", "city_b"], validate_unique=False)

    based_on = {
        field: shown(getattr(twinning, field))
        for field in PROPOSABLE_FIELDS
        if shown(getattr(twinning, field)) != shown(proposed[field])
    }
    if not based_on:
        raise ValidationError(
            _("This proposal changes nothing: every value is the twinning's own."),
            code=CityErrorCode.NOTHING_CHANGED,
        )
    proposal = TwinningProposal(
        twinning=twinning, office=office, proposed_by=user, based_on=based_on
    )
    for field, value in proposed.items():
        setattr(proposal, TwinningProposal.FIELD_OF.get(field, field), value)
    proposal.full_clean(exclude=["twinning", "office", "proposed_by", "reviewed_by"])
    proposal.save()
    return proposal


def _locked_pending(proposal: TwinningProposal) -> TwinningProposal:
    """The proposal read afresh under a lock, refused unless it still waits for review."""
    proposal = TwinningProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != TwinningProposal.Status.PENDING:
        raise ValidationError(
            _("This proposal was already %(status)s.")
            % {"status": proposal.get_status_display().lower()},
            code=CityErrorCode.PROPOSAL_CLOSED,
        )
    return proposal


def may_withdraw(user, proposal: TwinningProposal) -> bool:
    """A publisher of the proposing office may withdraw its proposal."""
    return has_role(user, [proposal.office_id], PUBLISHING_ROLES)


@transaction.atomic
def withdraw_proposal(user, proposal: TwinningProposal) -> TwinningProposal:
    """Withdraw a pending proposal: for a publisher of the office that made it."""
    if not may_withdraw(user, proposal):
        raise ValidationError(
            _("Only a publisher of the office that made this proposal can withdraw it."),
            code=CityErrorCode.NOT_YOUR_PROPOSAL,
        )
    proposal = _locked_pending(proposal)
    proposal.status = TwinningProposal.Status.WITHDRAWN
    proposal.save(update_fields=["status"])
    return proposal


def _reviewer(user) -> None:
    if not (user and user.is_authenticated and user.is_active and user.is_superuser):
        raise ValidationError(
            _("Only a superuser can approve or reject proposals."),
            code=CityErrorCode.NOT_A_REVIEWER,
        )


def stale_fields(proposal: TwinningProposal, twinning: Twinning) -> list[str]:
    """The fields the proposal changes that ``twinning`` no longer holds as it did when the
    proposal was made: someone changed them since."""
    return [
        field
        for field, value in proposal.based_on.items()
        if shown(getattr(twinning, field)) != value
    ]


@transaction.atomic
def approve_proposal(user, proposal: TwinningProposal, now=None) -> TwinningProposal:
    """Apply the proposal's values to its twinning and record who approved it, when.

    Only the fields the proposal changes are written, and only if none of them changed since
    it was made (PROPOSAL_STALE): a later change is not overwritten unseen. The twinning is
    locked while it is compared and written.
    """
    _reviewer(user)
    proposal = _locked_pending(proposal)
    twinning = Twinning.objects.select_for_update().get(pk=proposal.twinning_id)
    stale = stale_fields(proposal, twinning)
    if stale:
        raise ValidationError(
            _(
                "The twinning has changed since this proposal was made (%(fields)s). "
                "Reject it and ask the office for a new one."
            )
            % {"fields": ", ".join(str(Twinning._meta.get_field(f).verbose_name) for f in stale)},
            code=CityErrorCode.PROPOSAL_STALE,
        )
    fields = proposal.changed_fields()
    for field in fields:
        setattr(twinning, field, proposal.proposed(field))
    twinning.full_clean(exclude=["city_a", "city_b"], validate_unique=False)
    twinning.save(update_fields=[*fields, "updated_at"])
    proposal.status = TwinningProposal.Status.APPROVED
    proposal.reviewed_by = user
    proposal.reviewed_at = now or timezone.now()
    proposal.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return proposal


@transaction.atomic
def reject_proposal(user, proposal: TwinningProposal, note: str, now=None) -> TwinningProposal:
    """Reject a pending proposal, saying why; the twinning is left as it is."""
    _reviewer(user)
    note = clean_text(note)
    if not note:
        raise ValidationError(
            {
                "review_note": ValidationError(
                    _("Say why the proposal is rejected; the office will read it."),
                    code=CityErrorCode.NOTE_REQUIRED,
                )
            }
        )
    proposal = _locked_pending(proposal)
    proposal.status = TwinningProposal.Status.REJECTED
    proposal.review_note = note
    proposal.reviewed_by = user
    proposal.reviewed_at = now or timezone.now()
    proposal.full_clean(exclude=["twinning", "office", "proposed_by", "reviewed_by"])
    proposal.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    return proposal


# --- Other names from GeoNames ------------------------------------------------------------------


@dataclass
class GeoNamesReport:
    """What matching the cities to GeoNames did, for the command's summary and for tests."""

    cities: int = 0
    # Matched now, by the place's name or by one of its alternate names.
    matched: int = 0
    by_alternate_name: int = 0
    # Cities whose stored GeoNames ID names a place of the extract: refreshed from it.
    kept: int = 0
    # Cities whose stored GeoNames ID the extract does not hold (typed in the admin for a
    # place under its population): left as they are.
    not_in_extract: int = 0
    unmatched: int = 0
    changed: int = 0


def city_names(city: City) -> list[str]:
    """The city's own names, in every language (its aliases leave these out)."""
    return [getattr(city, column("name", code)) for code in LANGUAGE_CODES]


@transaction.atomic
def match_cities_to_geonames(places: geonames.Gazetteer | None = None) -> GeoNamesReport:
    """Give every city the aliases, population and GeoNames ID of the GeoNames place it is
    (``cities.geonames``): a city with a GeoNames ID keeps its place and is refreshed from it;
    the others are matched afresh, each to a place no other city holds, and lose their aliases
    when none is theirs. Running it again changes nothing. The cities are locked meanwhile,
    so that an edit in the admin is neither lost nor overwritten."""
    places = geonames.gazetteer() if places is None else places
    report = GeoNamesReport()
    cities = list(City.objects.select_for_update().order_by("id"))
    report.cities = len(cities)
    chosen: dict[int, geonames.Place | None] = {}
    taken, unmatched = set(), []
    for city in cities:
        place = places.get(city.geonames_id)
        if place is not None:
            chosen[city.pk] = place
            report.kept += 1
        elif city.geonames_id is not None:
            report.not_in_extract += 1
        else:
            unmatched.append(city)
            continue
        taken.add(city.geonames_id)
    matches = geonames.match(unmatched, places, taken)
    for position, city in enumerate(unmatched):
        found = matches.get(position)
        chosen[city.pk] = found.place if found else None
        report.matched += found is not None
        report.by_alternate_name += bool(found and found.by_alternate_name)
    report.unmatched = len(unmatched) - len(matches)
    now = timezone.now()
    changed = []
    for city in cities:
        if city.pk not in chosen:
            continue
        before = (city.geonames_id, city.population, city.aliases, city.search_document)
        geonames.apply(city, chosen[city.pk], city_names(city))
        city.search_document = city.build_search_document()
        if (city.geonames_id, city.population, city.aliases, city.search_document) != before:
            city.updated_at = now
            changed.append(city)
    fields = ["geonames_id", "population", "aliases", "search_document", "updated_at"]
    City.objects.bulk_update(changed, fields, batch_size=1000)
    report.changed = len(changed)
    if changed:
        # bulk_update sends no signals: the readers of cities learn it here.
        data_versions.bump(data_versions.CITIES)
    return report
