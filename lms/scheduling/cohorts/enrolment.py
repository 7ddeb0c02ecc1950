"""Enrolment: eligibility on the day, places taken exactly, a first-come waitlist with offers.

Places are counted on the cohort row and taken only by a conditional UPDATE
(`... WHERE places_taken < capacity`). On PostgreSQL the row lock makes concurrent updates queue and
re-check the condition; on SQLite write transactions begin IMMEDIATE and so run one at a time.
Either way a cohort can never be overfilled, and the unique (cohort, learner) constraint stops
double enrolment even when two requests race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lms.core import audit
from lms.core.db import rowcount, text_limit
from lms.core.errors import ServiceError
from lms.core.i18n import _
from lms.core.inputs import check_length
from lms.core.time import now_utc, today_local
from lms.courses.facts import learner_facts
from lms.courses.pathways import explain
from lms.courses.services import record_eligibility_check
from lms.extensions import db
from lms.people import services as people_services
from lms.people.models import Learner, Organisation, User
from lms.scheduling.clashes import learner_timetable_clashes
from lms.scheduling.cohorts.inputs import ReferralInput
from lms.scheduling.models import (
    Cohort,
    DropInAttendee,
    Enrolment,
    EnrolmentStatus,
    Referral,
    ReferralSource,
    ReferralStatus,
)
from lms.scheduling.models.cohorts import JOINABLE_STATUSES
from lms.scheduling.models.enrolments import HOLDS_PLACE


@dataclass
class EnrolmentResult:
    learner: Learner
    #: "enrolled", "waitlisted", "offered" or "refused"
    outcome: str
    message: str
    enrolment: Enrolment | None = None


# --- places --------------------------------------------------------------------------------------


def _take_place(cohort: Cohort, needs_creche: bool, needs_interpreter: bool) -> bool:
    """Take a place (and a crèche or interpreter place if needed) if one is free. Atomic."""
    creche, interpreter = int(needs_creche), int(needs_interpreter)
    result = db.session.execute(
        sa.update(Cohort)
        .where(
            Cohort.id == cohort.id,
            Cohort.places_taken < Cohort.capacity,
            sa.or_(sa.literal(creche) == 0, Cohort.creche_places_taken < Cohort.creche_capacity),
            sa.or_(sa.literal(interpreter) == 0, Cohort.interpreter_places_taken < Cohort.interpreter_capacity),
        )
        .values(
            places_taken=Cohort.places_taken + 1,
            creche_places_taken=Cohort.creche_places_taken + creche,
            interpreter_places_taken=Cohort.interpreter_places_taken + interpreter,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(cohort, ["places_taken", "creche_places_taken", "interpreter_places_taken"])
    return rowcount(result) == 1


def _release_place(enrolment: Enrolment) -> None:
    db.session.execute(
        sa.update(Cohort)
        .where(Cohort.id == enrolment.cohort_id)
        .values(
            places_taken=Cohort.places_taken - 1,
            creche_places_taken=Cohort.creche_places_taken - int(enrolment.needs_creche),
            interpreter_places_taken=Cohort.interpreter_places_taken - int(enrolment.needs_interpreter),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(enrolment.cohort, ["places_taken", "creche_places_taken", "interpreter_places_taken"])


def _waiting_note(cohort: Cohort, needs_creche: bool, needs_interpreter: bool) -> str:
    if cohort.places_taken >= cohort.capacity:
        return ""
    if needs_creche and cohort.creche_places_taken >= cohort.creche_capacity:
        return "creche"
    if needs_interpreter and cohort.interpreter_places_taken >= cohort.interpreter_capacity:
        return "interpreter"
    return ""


def has_started(cohort: Cohort, on: date) -> bool:
    """A cohort has started once its first day has passed (joining on the first day is fine)."""
    return on > cohort.start_date


def _set_status(enrolment: Enrolment, status: EnrolmentStatus, **changes: object) -> None:
    enrolment.status = status
    enrolment.status_changed_dt = now_utc()
    if status is not EnrolmentStatus.COMPLETED:
        enrolment.completed_date = None
    for key, value in changes.items():
        setattr(enrolment, key, value)


# --- enrolling -----------------------------------------------------------------------------------


def _refuse_existing(existing: Enrolment) -> None:
    if existing.status is EnrolmentStatus.WITHDRAWN:
        raise ServiceError(_("This learner withdrew from this cohort. Reinstate them from the cohort page instead."))
    raise ServiceError(_("This learner is already in this cohort (%(status)s).", status=existing.status.title.lower()))


def check_can_join(cohort: Cohort, on: date) -> None:
    if cohort.status not in JOINABLE_STATUSES:
        raise ServiceError(_("This cohort is %(status)s: nobody can join it.", status=cohort.status.title.lower()))
    if cohort.is_drop_in:
        raise ServiceError(_("Drop-in groups have no enrolment: add people at the session."))
    if has_started(cohort, on) and not cohort.allow_late_joiners:
        raise ServiceError(_("This cohort has started and does not take late joiners."))


def check_eligibility(cohort: Cohort, learner: Learner, on: date, actor: User | None) -> int | None:
    """Evaluate the programme's rule on the enrolment date and keep the result; refuse if it fails."""
    programme = cohort.programme
    if programme is None:
        return None
    if programme.allowed_referral_sources:
        accepted = {source.casefold() for source in programme.allowed_referral_sources}
        if learner.referral_source.strip().casefold() not in accepted:
            raise ServiceError(
                _(
                    "%(programme)s accepts referrals only from: %(sources)s.",
                    programme=programme.name,
                    sources=", ".join(programme.allowed_referral_sources),
                )
            )
    if programme.eligibility_rule is None:
        return None
    facts = learner_facts([learner.id])[learner.id]
    check, evaluation = record_eligibility_check(
        learner, programme.eligibility_rule, facts, on, purpose=f"enrolment:{cohort.id}", actor=actor
    )
    if not evaluation.passed:
        reasons = " ".join(explain(reason) for reason in evaluation.reasons if not reason.passed)
        raise ServiceError(_("Not eligible on %(date)s: %(reasons)s", date=on.isoformat(), reasons=reasons))
    return check.id


def enrol(
    cohort: Cohort,
    learner: Learner,
    *,
    actor: User | None,
    on: date | None = None,
    needs_creche: bool = False,
    needs_interpreter: bool = False,
    referral: Referral | None = None,
) -> EnrolmentResult:
    """Enrol if a place is free, otherwise waitlist. Raises ServiceError (changing nothing) if refused."""
    on = on or today_local()
    if learner.organisation_id != cohort.organisation_id:
        raise ServiceError(_("Choose the learner from your organisation."))
    existing = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.learner_id == learner.id)
    )
    if existing is not None:
        _refuse_existing(existing)
    check_can_join(cohort, on)
    check_id = check_eligibility(cohort, learner, on, actor)

    enrolment = Enrolment(
        cohort_id=cohort.id,
        learner_id=learner.id,
        status=EnrolmentStatus.WAITLISTED,
        needs_creche=needs_creche,
        needs_interpreter=needs_interpreter,
        eligibility_check_id=check_id,
        referral_id=referral.id if referral else None,
        created_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Someone enrolled this learner a moment ago, in another request.
        raise ServiceError(_("This learner is already in this cohort."))
    if _take_place(cohort, needs_creche, needs_interpreter):
        _set_status(enrolment, EnrolmentStatus.ENROLLED)
        outcome, message = "enrolled", _("Enrolled.")
    else:
        note = _waiting_note(cohort, needs_creche, needs_interpreter)
        enrolment.waiting_note = note
        outcome = "waitlisted"
        message = {
            "creche": _("On the waitlist: no crèche place is free."),
            "interpreter": _("On the waitlist: no interpreter place is free."),
        }.get(note, _("On the waitlist: the cohort is full."))
    db.session.flush()
    clashing = learner_timetable_clashes(learner.id, cohort.id)
    if clashing:
        message += " " + _("Note: they are also in %(cohorts)s at the same times.", cohorts=", ".join(clashing))
    audit.record(
        "enrolment." + outcome,
        actor_id=actor.id if actor else None,
        subject_type="learner",
        subject_id=learner.id,
        cohort_id=cohort.id,
    )
    return EnrolmentResult(learner, outcome, message, enrolment)


def enrol_many(
    cohort: Cohort, learners: list[Learner], *, actor: User, on: date | None = None
) -> list[EnrolmentResult]:
    """Enrol several learners in order; each refusal is reported and does not undo the others."""
    results = []
    for learner in learners:
        try:
            with db.session.begin_nested():
                results.append(enrol(cohort, learner, actor=actor, on=on))
        except ServiceError as error:
            results.append(EnrolmentResult(learner, "refused", error.message))
    return results


# --- withdrawals, offers and the waitlist --------------------------------------------------------


def waitlist(cohort: Cohort) -> list[Enrolment]:
    """First come, first served."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
            .order_by(Enrolment.requested_dt, Enrolment.id)
        )
    )


def fill_places(cohort: Cohort, *, on: date | None = None, now: datetime | None = None) -> list[Enrolment]:
    """Offer free places to the waitlist in order, skipping people whose crèche or interpreter need
    cannot be met yet. Never after the cohort has started, unless it takes late joiners."""
    on, now = on or today_local(), now or now_utc()
    if cohort.status not in JOINABLE_STATUSES or (has_started(cohort, on) and not cohort.allow_late_joiners):
        return []
    offers = []
    for enrolment in waitlist(cohort):
        db.session.refresh(cohort, ["places_taken", "capacity"])
        if cohort.places_taken >= cohort.capacity:
            break
        if _take_place(cohort, enrolment.needs_creche, enrolment.needs_interpreter):
            _set_status(
                enrolment,
                EnrolmentStatus.OFFERED,
                waiting_note="",
                offer_expires_dt=now + timedelta(hours=cohort.offer_hours),
            )
            offers.append(enrolment)
            audit.record(
                "enrolment.offered",
                actor_id=None,
                subject_type="learner",
                subject_id=enrolment.learner_id,
                cohort_id=cohort.id,
            )
    db.session.flush()
    return offers


def withdraw(enrolment: Enrolment, reason: str, actor: User | None, *, on: date | None = None) -> list[Enrolment]:
    """Withdraw a learner (with a reason) and offer the freed place to the next person waiting."""
    reason = check_length((reason or "").strip(), text_limit(Enrolment.withdrawn_reason), "reason")
    if not reason:
        raise ServiceError(_("Give a reason for the withdrawal."), field="reason")
    if enrolment.status not in (*HOLDS_PLACE, EnrolmentStatus.WAITLISTED):
        raise ServiceError(_("Only current enrolments, offers and waitlist places can be withdrawn."))
    held_place = enrolment.status in HOLDS_PLACE
    _set_status(enrolment, EnrolmentStatus.WITHDRAWN, withdrawn_reason=reason, offer_expires_dt=None)
    if held_place:
        _release_place(enrolment)
    db.session.flush()
    audit.record(
        "enrolment.withdrawn",
        actor_id=actor.id if actor else None,
        subject_type="learner",
        subject_id=enrolment.learner_id,
        cohort_id=enrolment.cohort_id,
    )
    return fill_places(enrolment.cohort, on=on) if held_place else []


def accept_offer(enrolment: Enrolment, actor: User | None, *, now: datetime | None = None) -> None:
    now = now or now_utc()
    if enrolment.status is not EnrolmentStatus.OFFERED:
        raise ServiceError(_("There is no open offer to accept."))
    if enrolment.offer_expires_dt is not None and enrolment.offer_expires_dt <= now:
        raise ServiceError(_("This offer has expired."))
    _set_status(enrolment, EnrolmentStatus.ENROLLED, offer_expires_dt=None)
    db.session.flush()
    audit.record(
        "enrolment.accepted",
        actor_id=actor.id if actor else None,
        subject_type="learner",
        subject_id=enrolment.learner_id,
        cohort_id=enrolment.cohort_id,
    )


def decline_offer(enrolment: Enrolment, actor: User | None) -> list[Enrolment]:
    if enrolment.status is not EnrolmentStatus.OFFERED:
        raise ServiceError(_("There is no open offer to decline."))
    return withdraw(enrolment, _("Declined the offer of a place."), actor)


def expire_offers(now: datetime | None = None) -> int:
    """Withdraw offers past their deadline and pass the places on. Safe to run any number of times."""
    now = now or now_utc()
    due = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.status == EnrolmentStatus.OFFERED, Enrolment.offer_expires_dt <= now)
        .order_by(Enrolment.offer_expires_dt)
    ).all()
    for enrolment in due:
        withdraw(enrolment, _("The offer expired without an answer."), None)
    return len(due)


def reinstate(enrolment: Enrolment, actor: User, *, on: date | None = None) -> EnrolmentResult:
    """Bring a withdrawn learner back: a place if one is free, otherwise the end of the waitlist."""
    on = on or today_local()
    if enrolment.status is not EnrolmentStatus.WITHDRAWN:
        raise ServiceError(_("Only a withdrawn learner can be reinstated."))
    check_can_join(enrolment.cohort, on)
    enrolment.requested_dt = now_utc()
    enrolment.withdrawn_reason = ""
    if _take_place(enrolment.cohort, enrolment.needs_creche, enrolment.needs_interpreter):
        _set_status(enrolment, EnrolmentStatus.ENROLLED)
        outcome, message = "enrolled", _("Enrolled.")
    else:
        _set_status(enrolment, EnrolmentStatus.WAITLISTED)
        outcome, message = "waitlisted", _("On the waitlist: the cohort is full.")
    db.session.flush()
    audit.record(
        "enrolment.reinstated",
        actor_id=actor.id,
        subject_type="learner",
        subject_id=enrolment.learner_id,
        cohort_id=enrolment.cohort_id,
    )
    return EnrolmentResult(enrolment.learner, outcome, message, enrolment)


# --- referrals -----------------------------------------------------------------------------------


def create_referral(organisation: Organisation, learner: Learner, data: ReferralInput, actor: User | None) -> Referral:
    if learner.organisation_id != organisation.id:
        raise ServiceError(_("Choose the learner from your organisation."))
    if data.cohort_id is not None:
        cohort = db.session.get(Cohort, data.cohort_id)
        if cohort is None or cohort.organisation_id != organisation.id:
            raise ServiceError(_("Choose a cohort of your organisation."), field="cohort_id")
    referrer_email = people_services.normalise_email(data.referrer_email) or ""
    if data.source is ReferralSource.PARTNER and not data.referrer_name:
        raise ServiceError(_("Give the name of the person who referred them."), field="referrer_name")
    referral = Referral(
        organisation_id=organisation.id,
        learner_id=learner.id,
        source=data.source,
        referrer_organisation_id=data.referrer_organisation_id,
        referrer_name=data.referrer_name,
        referrer_email=referrer_email,
        referrer_phone=data.referrer_phone,
        consent_to_share_progress=data.consent_to_share_progress,
        cohort_id=data.cohort_id,
        notes=data.notes,
    )
    db.session.add(referral)
    db.session.flush()
    audit.record("referral.create", actor_id=actor.id if actor else None, subject_type="learner", subject_id=learner.id)
    return referral


def request_place(learner: Learner, cohort: Cohort) -> Referral:
    """A learner asks for a place; a coordinator reviews it like any referral."""
    check_can_join(cohort, today_local())
    pending = db.session.scalar(
        sa.select(Referral.id).where(
            Referral.learner_id == learner.id, Referral.cohort_id == cohort.id, Referral.status == ReferralStatus.NEW
        )
    )
    if pending or db.session.scalar(
        sa.select(Enrolment.id).where(Enrolment.learner_id == learner.id, Enrolment.cohort_id == cohort.id)
    ):
        raise ServiceError(_("You have already asked for a place on this course."))
    return create_referral(
        learner.organisation, learner, ReferralInput(source=ReferralSource.SELF, cohort_id=cohort.id), learner.user
    )


def accept_referral(referral: Referral, cohort: Cohort, actor: User, note: str = "") -> EnrolmentResult:
    if referral.status is not ReferralStatus.NEW:
        raise ServiceError(_("This referral has already been reviewed."))
    if cohort.organisation_id != referral.organisation_id:
        raise ServiceError(_("Choose a cohort of your organisation."), field="cohort_id")
    note = check_length((note or "").strip(), text_limit(Referral.decision_note), "note")
    result = enrol(cohort, referral.learner, actor=actor, referral=referral)
    referral.status, referral.cohort_id = ReferralStatus.ACCEPTED, cohort.id
    referral.reviewed_by_id, referral.reviewed_dt, referral.decision_note = actor.id, now_utc(), note
    db.session.flush()
    return result


def decline_referral(referral: Referral, note: str, actor: User) -> None:
    if referral.status is not ReferralStatus.NEW:
        raise ServiceError(_("This referral has already been reviewed."))
    note = check_length((note or "").strip(), text_limit(Referral.decision_note), "note")
    if not note:
        raise ServiceError(_("Say why, so the referrer can be told."), field="note")
    referral.status, referral.decision_note = ReferralStatus.DECLINED, note
    referral.reviewed_by_id, referral.reviewed_dt = actor.id, now_utc()
    db.session.flush()
    audit.record("referral.declined", actor_id=actor.id, subject_type="learner", subject_id=referral.learner_id)


# --- drop-in groups ------------------------------------------------------------------------------


def add_drop_in_attendee(cohort: Cohort, name: str, on: date, actor: User) -> DropInAttendee:
    name = check_length((name or "").strip(), text_limit(DropInAttendee.name), "name")
    if not name:
        raise ServiceError(_("Enter the person's name."), field="name")
    if not cohort.is_drop_in:
        raise ServiceError(_("Only drop-in groups take name-only attendees."))
    attendee = DropInAttendee(cohort_id=cohort.id, name=name, first_seen_date=on, created_by_id=actor.id)
    db.session.add(attendee)
    db.session.flush()
    return attendee


def link_drop_in(attendee: DropInAttendee, learner: Learner, actor: User) -> None:
    """Link a name-only attendee to a learner record. Their marks move with them in
    `assessments.attendance.services.merge_drop_in`, which is what the page calls."""
    if attendee.learner_id is not None:
        raise ServiceError(_("This attendee is already linked to a learner."))
    if learner.organisation_id != attendee.cohort.organisation_id:
        raise ServiceError(_("Choose the learner from your organisation."))
    attendee.learner_id, attendee.merged_dt = learner.id, now_utc()
    db.session.flush()
    audit.record(
        "dropin.merge", actor_id=actor.id, subject_type="learner", subject_id=learner.id, attendee_id=attendee.id
    )
