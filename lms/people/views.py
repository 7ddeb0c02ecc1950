"""Logging in and out, accounts, users, and learner records."""

from __future__ import annotations

import base64
from datetime import date
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from lms.core.access import login_required, public, role_required
from lms.core.errors import ThrottledError
from lms.core.forms import BaseForm, enum_choices, object_choices
from lms.core.i18n import SESSION_KEY, _, is_supported
from lms.core.inputs import parse_id
from lms.core.pages import rows_page
from lms.core.roles import Role
from lms.core.spreadsheets import XLSX_MIMETYPE, csv_text, xlsx_bytes
from lms.core.time import today_local
from lms.core.web import AUTH_SESSION_KEY, attempt, safe_next, writes_on_get
from lms.extensions import db, login_manager
from lms.people import accounts, hooks, importing, organisations, queries, services
from lms.people import educators as profiles
from lms.people import setup as setup_service
from lms.people.access import (
    can_edit_learner,
    can_edit_user,
    can_manage_educator,
    can_view_sensitive,
    load_account,
    load_educator,
    load_learner,
    load_volunteer_hours,
    manageable_educators,
    manageable_users,
    visible_learners,
)
from lms.people.forms import (
    ConfirmForm,
    DbsForm,
    EducatorLanguagesForm,
    ImmigrationStatusForm,
    ImportForm,
    ImportSaveForm,
    LanguageForm,
    LearnerForm,
    LearnerLoginForm,
    LoginForm,
    LogoForm,
    OrganisationSettingsForm,
    PasswordChangeForm,
    PinLoginForm,
    RemoveLogoForm,
    SensitiveForm,
    SetPasswordForm,
    SetupForm,
    TeachingForm,
    UserEditForm,
    UserForm,
    VolunteerHoursForm,
    import_columns_form,
)
from lms.people.models import EducatorProfile, ImportUpload, LoginLink, User
from lms.people.values import countries, languages

bp = Blueprint("people", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user behind a session cookie, while their login session is live (ended sessions log out at once)."""
    return services.user_for_session(user_id, session.get(AUTH_SESSION_KEY))


@bp.post("/language")
@public
def set_language():
    """Remember the chosen interface language in this browser (and on the account, if logged in)."""
    locale = request.form.get("locale", "")
    if is_supported(locale):
        session[SESSION_KEY] = locale
        if current_user.is_authenticated:
            services.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")) or url_for("core.index"))


# --- logging in and out --------------------------------------------------------------------------


def _log_in(user: User) -> None:
    """Start a fresh session: nothing from before the login survives except the chosen language."""
    locale = session.get(SESSION_KEY)
    old_token = session.get(AUTH_SESSION_KEY)
    services.end_session(old_token)
    session.clear()
    token = services.start_session(user)
    session[AUTH_SESSION_KEY] = token
    if locale:
        session[SESSION_KEY] = locale
    session.permanent = True
    login_user(user)


def _after_login_redirect():
    return redirect(safe_next(request.args.get("next")) or url_for("core.home"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        # A failed attempt is kept despite the refusal: the throttle counts it.
        done = attempt(
            lambda: services.authenticate_password(form.email.data, form.password.data, request.remote_addr),
            form,
            keep_on_refusal=True,
        )
        if not done:
            return render_template("people/login.html", form=form), _refused_login_status(done.error)
        _log_in(done.value)
        return _after_login_redirect()
    return render_template("people/login.html", form=form)


def _refused_login_status(error: Exception | None) -> int:
    return 429 if isinstance(error, ThrottledError) else 401


@bp.route("/login/phone", methods=["GET", "POST"])
@public
def login_phone():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = PinLoginForm()
    if form.validate_on_submit():
        done = attempt(
            lambda: services.authenticate_pin(form.phone.data, form.pin.data, request.remote_addr),
            form,
            keep_on_refusal=True,
        )
        if not done:
            return render_template("people/login_phone.html", form=form), _refused_login_status(done.error)
        _log_in(done.value)
        return _after_login_redirect()
    return render_template("people/login_phone.html", form=form)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@public
def login_link(token: str):
    """A one-time link. GET only shows a button: link previews in SMS apps must not use it up."""
    if request.method == "POST":  # CSRFProtect has already checked the token
        done = attempt(lambda: services.redeem_login_link(token), show=False)
        if not done:
            return render_template("people/login_link.html", error=done.error.message), 410
        _log_in(done.value)
        return redirect(url_for("core.home"))
    return render_template("people/login_link.html", error=None)


@bp.post("/logout")
@login_required
def logout():
    locale = session.get(SESSION_KEY)
    services.end_session(session.get(AUTH_SESSION_KEY))
    logout_user()
    session.clear()
    if locale:
        session[SESSION_KEY] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("people.login"))


# --- the user's own account ----------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    language_form = LanguageForm(prefix="language", locale=current_user.locale or session.get(SESSION_KEY))
    password_form = PasswordChangeForm(prefix="password")
    if (
        request.method == "POST"
        and "language-locale" in request.form
        and language_form.validate_on_submit()
        and attempt(lambda: services.set_locale(current_user, language_form.locale.data), language_form)
    ):
        session[SESSION_KEY] = current_user.locale
        flash(_("Language saved."), "success")
        return redirect(url_for("people.account"))
    if request.method == "POST" and "password-new_password" in request.form and password_form.validate_on_submit():
        from werkzeug.security import check_password_hash

        if not current_user.password_hash or not check_password_hash(
            current_user.password_hash, password_form.current_password.data
        ):
            password_form.current_password.errors.append(_("Your current password is not right."))
        else:
            done = attempt(lambda: services.set_password(current_user, password_form.new_password.data), show=False)
            if not done:
                password_form.new_password.errors.append(done.error.message)
            else:
                _log_in(current_user._get_current_object())  # other logins ended; this one continues afresh
                flash(_("Password changed. You have been logged out everywhere else."), "success")
                return redirect(url_for("people.account"))
    return render_template("people/account.html", language_form=language_form, password_form=password_form)


# --- users ---------------------------------------------------------------------------------------

STATUS_FILTERS = {"active": True, "inactive": False, "all": None}


def _role_filter(value: str | None) -> Role | None:
    return Role(value) if value in {role.value for role in Role} else None


def _organisation_filter(value: str | None) -> int | None:
    """Whose accounts to list: your organisation's; an administrator may choose any, or all ("all")."""
    if not current_user.is_admin:
        return current_user.organisation_id
    if value == "all":
        return None
    return parse_id(value) or current_user.organisation_id


@bp.get("/users")
@role_required(Role.COORDINATOR)
def users():
    """Accounts, searched by name, e-mail or phone, filtered by role and status, a page at a time."""
    search = request.args.get("q", "").strip()[:100]
    role = _role_filter(request.args.get("role"))
    status = request.args.get("status", "active")
    status = status if status in STATUS_FILTERS else "active"
    organisation_id = _organisation_filter(request.args.get("organisation"))
    query = queries.users_select(organisation_id, search, role, STATUS_FILTERS[status])
    page = rows_page(query.where(manageable_users(current_user)), request.args.get("page", type=int))
    filters = {
        "q": search,
        "role": role.value if role else "",
        "status": status,
        "organisation": "all" if organisation_id is None else organisation_id,
    }
    return render_template(
        "people/users.html",
        page=page,
        filters=filters,
        roles=list(Role),
        organisations=queries.all_organisations() if current_user.is_admin else [],
    )


def _hand_over_password_link(user: User, token: str, link: LoginLink):  # noqa: ANN202
    """An invitation or reset link just made: e-mailed when mail is set up and the user has an address,
    otherwise shown once, here, for the editor to hand over."""
    url = url_for("people.password_link", token=token, _external=True)
    if hooks.send_link(user, url, link.purpose):
        flash(_("A link to set a password was e-mailed to %(email)s.", email=user.email), "success")
        return redirect(url_for("people.user", user_id=user.id))
    return render_template("people/password_link_created.html", account=user, link=url, purpose=link.purpose)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def user_new():
    form = UserForm()
    if form.validate_on_submit():
        done = attempt(
            lambda: services.create_user(
                organisation=current_user.organisation,
                display_name=form.display_name.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data or None,
                roles=[Role(value) for value in form.roles.data],
                actor=current_user,
            ),
            form,
        )
        if done:
            flash(_("Account created."), "success")
            if done.value.password_hash is None and not done.value.has_role(Role.LEARNER):
                return _hand_over_password_link(done.value, *accounts.create_password_link(done.value, current_user))
            return redirect(url_for("people.user", user_id=done.value.id))
    return render_template("people/user_form.html", form=form)


@bp.get("/users/<int:user_id>")
@role_required(Role.COORDINATOR)
def user(user_id: int):
    account = load_account(user_id)
    return render_template(
        "people/user.html",
        account=account,
        can_edit=can_edit_user(current_user, account),
        action_form=ConfirmForm(),
    )


def _user_edit_form(account: User) -> UserEditForm:
    form = UserEditForm(obj=account if request.method == "GET" else None)
    excluded = () if current_user.is_admin else (Role.ADMIN,)
    form.roles.choices = enum_choices(Role, exclude=excluded)
    if request.method == "GET":
        form.roles.data = [role.value for role in account.roles]
        form.organisation_id.data = str(account.organisation_id)
    if current_user.is_admin:
        form.organisation_id.choices = object_choices(queries.all_organisations())
    else:
        del form.organisation_id
    return form


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def user_edit(user_id: int):
    account = load_account(user_id, edit=True)
    form = _user_edit_form(account)
    if form.validate_on_submit() and attempt(
        lambda: accounts.update_user(account, form.to_input(), current_user), form
    ):
        flash(_("Changes saved."), "success")
        return redirect(url_for("people.user", user_id=account.id))
    return render_template("people/user_edit.html", form=form, account=account)


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.COORDINATOR)
def user_deactivate(user_id: int):
    """Deactivate at once: logins, one-time links, API tokens and calendar feed links all end."""
    account = load_account(user_id, edit=True)
    if ConfirmForm().validate_on_submit() and attempt(lambda: accounts.deactivate_user(account, current_user)):
        flash(_("%(name)s can no longer log in.", name=account.display_name), "success")
    return redirect(url_for("people.user", user_id=account.id))


@bp.post("/users/<int:user_id>/reactivate")
@role_required(Role.COORDINATOR)
def user_reactivate(user_id: int):
    account = load_account(user_id, edit=True)
    if ConfirmForm().validate_on_submit() and attempt(lambda: accounts.reactivate_user(account, current_user)):
        flash(_("%(name)s can log in again.", name=account.display_name), "success")
    return redirect(url_for("people.user", user_id=account.id))


@bp.post("/users/<int:user_id>/password-link")
@role_required(Role.COORDINATOR)
def user_password_link(user_id: int):
    """An invitation (no password yet) or a password reset, by one-time link."""
    account = load_account(user_id, edit=True)
    done = ConfirmForm().validate_on_submit() and attempt(lambda: accounts.create_password_link(account, current_user))
    if not done:
        return redirect(url_for("people.user", user_id=account.id))
    return _hand_over_password_link(account, *done.value)


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
def password_link(token: str):
    """Set a password with an invitation or reset link. GET only shows the form, so a link preview in a
    mail app does not use it up; the link is used when the password is accepted."""
    link = accounts.password_link(token)
    if link is None:
        message = _("This link has expired or was already used. Ask for a new one.")
        return render_template("errors/error.html", code=410, title=_("Link expired"), message=message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        done = attempt(lambda: accounts.redeem_password_link(token, form.password.data), form)
        if done:
            _log_in(done.value)
            flash(_("Password set. You are logged in."), "success")
            return redirect(url_for("core.home"))
    return render_template("people/password_link.html", form=form, link=link)


# --- the first run -------------------------------------------------------------------------------

SETUP_TOKEN_KEY = "setup_token"  # noqa: S105 - the session key's name, not a secret


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """The first organisation and its administrator, on an empty database, with the code `lms init`
    printed. The code comes once in the URL; it is kept in the session and the page moves to a clean
    URL, so it stays out of the address bar, the history and later logs."""
    if setup_service.is_set_up():
        abort(404)
    if request.method == "GET" and "token" in request.args:
        session[SETUP_TOKEN_KEY] = request.args["token"][:100]
        return redirect(url_for("people.setup"))
    form = SetupForm()
    code_known = setup_service.setup_token_is_live(session.get(SETUP_TOKEN_KEY))
    if form.validate_on_submit():
        token = form.token.data if not code_known else session.get(SETUP_TOKEN_KEY)
        done = attempt(lambda: setup_service.set_up(form.to_input(), token), form)
        if done:
            _log_in(done.value)
            flash(_("Pathways is set up. Welcome!"), "success")
            return redirect(url_for("core.home"))
    elif request.method == "GET" and SETUP_TOKEN_KEY in session and not code_known:
        form.token.errors = [_("This setup code has expired or was already used. Run lms init again for a new one.")]
    ask_for_code = bool(form.token.errors) or not setup_service.setup_token_is_live(session.get(SETUP_TOKEN_KEY))
    return render_template("people/setup.html", form=form, ask_for_code=ask_for_code)


# --- the organisation --------------------------------------------------------------------------


@bp.route("/organisation/logo", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def organisation_logo():
    """The logo printed on the organisation's funder returns."""
    form = LogoForm()
    if form.validate_on_submit() and attempt(
        lambda: services.set_logo(current_user.organisation, form.logo.data.read(), current_user), form
    ):
        flash(_("Logo saved."), "success")
        return redirect(url_for("people.organisation_logo"))
    logo = queries.organisation_logo(current_user.organisation_id)
    return render_template(
        "people/logo.html",
        form=form,
        remove_form=RemoveLogoForm(),
        logo=base64.b64encode(logo).decode() if logo else None,
    ), (400 if form.errors else 200)


@bp.post("/organisation/logo/remove")
@role_required(Role.COORDINATOR)
def organisation_logo_remove():
    if RemoveLogoForm().validate_on_submit():
        services.remove_logo(current_user.organisation, current_user)
        flash(_("Logo removed."), "success")
    return redirect(url_for("people.organisation_logo"))


@bp.route("/organisation/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def organisation_settings():
    """The organisation's name, address, default language, bank holidays and certificate signatory."""
    organisation = current_user.organisation
    form = OrganisationSettingsForm(obj=organisation)
    if form.validate_on_submit() and attempt(
        lambda: organisations.save_settings(organisation, form.to_input(), current_user), form
    ):
        flash(_("Settings saved."), "success")
        return redirect(url_for("people.organisation_settings"))
    logo = queries.organisation_logo(organisation.id)
    failed = bool(form.errors or form.form_errors)
    return render_template(
        "people/organisation.html",
        form=form,
        logo=base64.b64encode(logo).decode() if logo else None,
    ), (400 if failed else 200)


# --- learners ------------------------------------------------------------------------------------


@bp.get("/learners")
@role_required(Role.COORDINATOR)
def learners():
    search = request.args.get("q", "").strip()[:100]
    query = queries.learners_select(current_user.organisation_id, search)
    page = db.paginate(query.where(visible_learners(current_user)), per_page=50)
    return render_template("people/learners.html", page=page, search=search)


@bp.route("/learners/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def learner_new():
    form = LearnerForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.create_learner(current_user.organisation, form.to_input(), current_user), form)
        if done:
            flash(_("Learner added."), "success")
            return redirect(url_for("people.learner", learner_id=done.value.id))
    return render_template("people/learner_form.html", form=form, learner=None)


@bp.get("/learners/<int:learner_id>")
@login_required
def learner(learner_id: int):
    learner = load_learner(learner_id)
    show_sensitive = can_view_sensitive(current_user, learner)
    return render_template(
        "people/learner.html",
        learner=learner,
        can_edit=can_edit_learner(current_user, learner),
        show_sensitive=show_sensitive,
        sensitive_shown=show_sensitive and request.args.get("sensitive") == "1",
        login_form=LearnerLoginForm(),
        status_form=ImmigrationStatusForm(),
    )


@bp.post("/learners/<int:learner_id>/sensitive/reveal")
@role_required(Role.COORDINATOR)
def learner_sensitive_reveal(learner_id: int):
    """Sensitive details are shown on request, and each showing is written to the audit trail."""
    learner = load_learner(learner_id, edit=True)
    services.record_sensitive_view(learner, current_user)
    return redirect(url_for("people.learner", learner_id=learner.id, sensitive=1) + "#sensitive")


@bp.route("/learners/<int:learner_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def learner_edit(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    form = LearnerForm(obj=learner)
    if request.method == "GET":
        form.sex.data = learner.sex.value
        form.first_language_literacy.data = learner.first_language_literacy.value
    if form.validate_on_submit() and attempt(
        lambda: services.update_learner(learner, form.to_input(), current_user), form
    ):
        flash(_("Changes saved."), "success")
        return redirect(url_for("people.learner", learner_id=learner.id))
    return render_template("people/learner_form.html", form=form, learner=learner)


@bp.route("/learners/<int:learner_id>/sensitive", methods=["GET", "POST"])
@writes_on_get
@role_required(Role.COORDINATOR)
def learner_sensitive_edit(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    form = SensitiveForm(obj=learner.sensitive)
    if request.method == "GET" and learner.sensitive:
        form.relevant_unspent_conviction.data = learner.sensitive.relevant_unspent_conviction.value
    if form.validate_on_submit():
        services.update_sensitive(
            learner,
            health_and_access_needs=form.health_and_access_needs.data,
            relevant_unspent_conviction=form.relevant_unspent_conviction.data,
            safeguarding_notes=form.safeguarding_notes.data,
            actor=current_user,
        )
        flash(_("Changes saved."), "success")
        return redirect(url_for("people.learner", learner_id=learner.id, sensitive=1) + "#sensitive")
    if request.method == "GET":
        services.record_sensitive_view(learner, current_user)  # committed: the view is @writes_on_get
    return render_template("people/sensitive_form.html", form=form, learner=learner)


@bp.post("/learners/<int:learner_id>/immigration")
@role_required(Role.COORDINATOR)
def learner_immigration_add(learner_id: int):
    learner = load_learner(learner_id, edit=True)
    form = ImmigrationStatusForm()
    if form.validate_on_submit():
        done = attempt(
            lambda: services.add_immigration_status(
                learner,
                status=form.status.data,
                from_date=form.from_date.data,
                until_date=form.until_date.data,
                note=form.note.data,
                actor=current_user,
            )
        )
        if done:
            flash(_("Immigration status added."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("people.learner", learner_id=learner.id, sensitive=1) + "#sensitive")


@bp.post("/learners/<int:learner_id>/login")
@role_required(Role.COORDINATOR)
def learner_login_setup(learner_id: int):
    """Give a learner a login: their mobile number and a PIN they choose with the coordinator."""
    learner = load_learner(learner_id, edit=True)
    form = LearnerLoginForm()
    if learner.user_id is not None:
        flash(_("This learner can already log in."), "info")
    elif form.validate_on_submit():
        if attempt(lambda: services.create_learner_login(learner, form.pin.data, current_user)):
            flash(_("The learner can now log in with their mobile number and PIN."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("people.learner", learner_id=learner.id))


@bp.post("/learners/<int:learner_id>/login-link")
@role_required(Role.COORDINATOR)
def learner_login_link(learner_id: int):
    """Make a one-time sign-in link and show it once, to send by SMS or show on the learner's phone."""
    learner = load_learner(learner_id, edit=True)
    if learner.user is None:
        abort(404)
    token = services.create_login_link(learner.user, current_user)
    link = url_for("people.login_link", token=token, _external=True)
    hours = int(current_app.config["LOGIN_LINK_LIFETIME"].total_seconds() // 3600)
    return render_template("people/login_link_created.html", learner=learner, link=link, hours=hours)


IMPORT_SESSION_KEY = "learner_import"


def _import_page(form: ImportForm, status: int = 200):  # noqa: ANN202
    return render_template(
        "people/import.html",
        form=form,
        fields=importing.IMPORT_FIELDS,
        countries=countries(),
        languages=languages(),
        max_rows=importing.MAX_IMPORT_ROWS,
    ), status


def _current_upload() -> ImportUpload | None:
    return importing.load_upload(session.get(IMPORT_SESSION_KEY), current_user)


def _upload_gone():  # noqa: ANN202
    session.pop(IMPORT_SESSION_KEY, None)
    flash(_("That upload has expired or was already saved. Upload the file again."), "info")
    return redirect(url_for("people.learners_import"))


@bp.route("/learners/import", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def learners_import():
    """Step 1: upload a CSV or Excel file. It is parsed and kept server-side; the session holds its token."""
    form = ImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read()
        done = attempt(lambda: importing.store_upload(raw, form.file.data.filename or "", current_user), form)
        if done:
            session[IMPORT_SESSION_KEY] = done.value
            return redirect(url_for("people.learners_import_columns"))
    return _import_page(form, 400 if form.errors else 200)


@bp.get("/learners/import/template.<kind>")
@role_required(Role.COORDINATOR)
def learners_import_template(kind: str):
    """The columns a file may have, with one example row, as CSV or Excel."""
    rows = [list(importing.IMPORT_COLUMNS), list(importing.EXAMPLE_ROW)]
    if kind == "csv":
        body: str | bytes = "\ufeff" + csv_text(rows)
        mimetype = "text/csv; charset=utf-8"
    elif kind == "xlsx":
        body, mimetype = xlsx_bytes(_("Learners"), rows), XLSX_MIMETYPE
    else:
        abort(404)
    disposition = f"attachment; filename=learners-template.{kind}"
    return current_app.response_class(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


@bp.route("/learners/import/columns", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def learners_import_columns():
    """Step 2: which field each column fills, guessed from the headings and changeable."""
    upload = _current_upload()
    if upload is None:
        return _upload_gone()
    guesses = upload.mapping or importing.guess_mapping(upload.headers)
    form = import_columns_form(upload.headers, guesses, importing.IMPORT_FIELDS)
    if form.validate_on_submit() and attempt(
        lambda: importing.choose_columns(upload, form.to_input(len(upload.headers))), form
    ):
        return redirect(url_for("people.learners_import_preview"))
    first_rows = [cells for _number, cells in upload.rows[:3]]
    samples = [[cells[index] for cells in first_rows if index < len(cells)] for index in range(len(upload.headers))]
    return render_template(
        "people/import_columns.html", form=form, upload=upload, samples=samples
    ), 400 if form.errors else 200


def _preview_page(upload: ImportUpload, status: int = 200):  # noqa: ANN202
    result = importing.preview(current_user.organisation, upload)
    return render_template(
        "people/import_preview.html",
        upload=upload,
        result=result,
        fields=importing.IMPORT_FIELDS,
        form=ImportSaveForm(),
    ), status


@bp.get("/learners/import/preview")
@role_required(Role.COORDINATOR)
def learners_import_preview():
    """Step 3: every row's result before anything is saved."""
    upload = _current_upload()
    if upload is None:
        return _upload_gone()
    if upload.mapping is None:
        return redirect(url_for("people.learners_import_columns"))
    return _preview_page(upload)


@bp.post("/learners/import/save")
@role_required(Role.COORDINATOR)
def learners_import_save():
    """Save every row, or none: a row that has become wrong since the preview refuses the whole file."""
    upload = _current_upload()
    if upload is None or upload.mapping is None:
        return _upload_gone()
    form = ImportSaveForm()
    if not form.validate_on_submit():
        return _preview_page(upload, 400)
    if request.form.get("action") == "cancel":
        importing.discard_upload(upload)
        session.pop(IMPORT_SESSION_KEY, None)
        flash(_("The import was cancelled; nothing was saved."), "info")
        return redirect(url_for("people.learners_import"))
    done = attempt(lambda: importing.import_learners(current_user.organisation, upload, current_user))
    if not done:
        return _preview_page(upload, 400)
    session.pop(IMPORT_SESSION_KEY, None)
    flash(_("%(count)d learners imported.", count=len(done.value)), "success")
    return redirect(url_for("people.learners"))


# --- educators' profiles -------------------------------------------------------------------------


@bp.get("/educators")
@role_required(Role.COORDINATOR)
def educators():
    """The organisation's educators with their DBS standing; certificate numbers are never listed."""
    search = request.args.get("q", "").strip()[:100]
    query = queries.educators_select(current_user.organisation_id, search).where(manageable_educators(current_user))
    page = rows_page(query, request.args.get("page", type=int))
    return render_template("people/educators.html", page=page, search=search, today=today_local())


def _educator_page(educator: User, template: str, form: BaseForm, status: int = 200, **context: Any):  # noqa: ANN202
    return render_template(
        template,
        educator=educator,
        profile=educator.educator_profile,
        form=form,
        manage=can_manage_educator(current_user, educator),
        **context,
    ), (400 if form.errors or form.form_errors else status)


@bp.get("/educators/<int:user_id>")
@login_required
def educator(user_id: int):
    """Her profile: the coordinators' and her own view, the DBS certificate number included."""
    educator = load_educator(user_id)
    first, last, _error = _hours_period()
    recorded = queries.volunteer_hours(educator.id, first, last)
    return render_template(
        "people/educator.html",
        educator=educator,
        profile=educator.educator_profile,
        teaching=profiles.teaching_titles(educator.educator_profile),
        manage=can_manage_educator(current_user, educator),
        today=today_local(),
        first=first,
        last=last,
        taught=hooks.taught_hours(educator.id, first, last),
        recorded=queries.recorded_hours_total(recorded),
    )


@bp.route("/educators/<int:user_id>/dbs", methods=["GET", "POST"])
@login_required
def educator_dbs(user_id: int):
    """Her DBS check: coordinators only. She sees it on her profile but cannot change it (403)."""
    educator = load_educator(user_id)
    if not can_manage_educator(current_user, educator):
        abort(403)
    profile = educator.educator_profile
    form = DbsForm(obj=_dbs_values(profile) if request.method == "GET" else None)
    months = current_app.config["DBS_RECHECK_MONTHS"]
    form.recheck_date.description = _("Leave empty to recheck %(months)d months after the issue date.", months=months)
    if form.validate_on_submit() and attempt(
        lambda: profiles.update_dbs(educator, form.to_input(), current_user), form
    ):
        flash(_("DBS check saved."), "success")
        return redirect(url_for("people.educator", user_id=educator.id))
    return _educator_page(educator, "people/educator_form.html", form, title=_("DBS check"))


def _dbs_values(profile: EducatorProfile | None) -> SimpleNamespace | None:
    if profile is None:
        return None
    return SimpleNamespace(
        level=profile.dbs_level.value if profile.dbs_level else "",
        certificate_number=profile.dbs_certificate_number or "",
        issue_date=profile.dbs_issue_date,
        update_service=profile.dbs_update_service,
        recheck_date=profile.dbs_recheck_date,
    )


@bp.route("/educators/<int:user_id>/languages", methods=["GET", "POST"])
@login_required
def educator_languages(user_id: int):
    """The languages she speaks: her coordinators, or the educator herself."""
    educator = load_educator(user_id)
    current = educator.educator_profile.languages.split() if educator.educator_profile else []
    form = EducatorLanguagesForm(languages=current)
    form.languages.choices = profiles.language_choices(current)
    if form.validate_on_submit() and attempt(
        lambda: profiles.update_languages(educator, form.languages.data or [], current_user), form
    ):
        flash(_("Languages saved."), "success")
        return redirect(url_for("people.educator", user_id=educator.id))
    return _educator_page(educator, "people/educator_form.html", form, title=_("Languages"))


@bp.route("/educators/<int:user_id>/teaching", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def educator_teaching(user_id: int):
    """What she may teach and whether she volunteers: coordinators only."""
    educator = load_educator(user_id, manage=True)
    form = TeachingForm(obj=educator.educator_profile if request.method == "GET" else None)
    if form.validate_on_submit() and attempt(
        lambda: profiles.update_teaching(educator, form.to_input(), current_user), form
    ):
        flash(_("Changes saved."), "success")
        return redirect(url_for("people.educator", user_id=educator.id))
    return _educator_page(educator, "people/educator_form.html", form, title=_("Teaching and volunteering"))


def _hours_period() -> tuple[date, date, str | None]:
    """The days asked for (`from`, `to`), by default this funder year so far (April to March), and
    what is wrong with them if they are not dates in order (the default period is shown then)."""
    today = today_local()
    default = date(today.year if today.month >= 4 else today.year - 1, 4, 1), today
    try:
        first = date.fromisoformat(request.args["from"]) if request.args.get("from") else default[0]
        last = date.fromisoformat(request.args["to"]) if request.args.get("to") else default[1]
    except ValueError:
        return *default, _("Enter the dates as YYYY-MM-DD.")
    if last < first:
        return *default, _("The end date must be on or after the start date.")
    if (last - first).days > 366 * 5:
        return *default, _("Choose a period of five years or less.")
    return first, last, None


@bp.route("/educators/<int:user_id>/hours", methods=["GET", "POST"])
@login_required
def educator_hours(user_id: int):
    """Volunteer hours: those of her sessions and those recorded. She reads hers; coordinators record."""
    educator = load_educator(user_id)
    manage = can_manage_educator(current_user, educator)
    form = VolunteerHoursForm()
    if request.method == "POST":
        if not manage:
            abort(403)
        if form.validate_on_submit() and attempt(
            lambda: profiles.record_hours(educator, form.to_input(), current_user), form
        ):
            flash(_("Hours recorded."), "success")
            return redirect(url_for("people.educator_hours", user_id=educator.id))
    first, last, period_error = _hours_period()
    recorded = queries.volunteer_hours(educator.id, first, last)
    return _educator_page(
        educator,
        "people/educator_hours.html",
        form,
        400 if period_error else 200,
        period_error=period_error,
        first=first,
        last=last,
        recorded=recorded,
        recorded_total=queries.recorded_hours_total(recorded),
        taught=hooks.taught_hours(educator.id, first, last),
    )


@bp.post("/educators/<int:user_id>/hours/<int:hours_id>/remove")
@role_required(Role.COORDINATOR)
def educator_hours_remove(user_id: int, hours_id: int):
    educator = load_educator(user_id, manage=True)
    profiles.remove_hours(load_volunteer_hours(hours_id, educator), current_user)
    flash(_("Hours removed."), "success")
    return redirect(url_for("people.educator_hours", user_id=educator.id))
