"""Creating and revoking personal API tokens. Only a hash is stored: the secret is shown once."""

from __future__ import annotations

import sqlalchemy as sa
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from lms.api.models import ApiToken, TokenScope
from lms.core import audit
from lms.core.forms import BaseForm
from lms.core.i18n import _l
from lms.core.time import now_utc
from lms.core.tokens import new_token, token_hash
from lms.extensions import db
from lms.people.models import User

PREFIX = "pw_"


class TokenForm(BaseForm):
    name = StringField(_l("What it is for"), validators=[DataRequired(), Length(max=100)])
    scope = RadioField(
        _l("Access"),
        choices=[
            SelectChoice(TokenScope.READ.value, _l("Read only")),
            SelectChoice(TokenScope.WRITE.value, _l("Read and write")),
        ],
        default=TokenScope.READ.value,
    )


def create_token(user: User, name: str, scope: TokenScope) -> str:
    secret = PREFIX + new_token()
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=token_hash(secret), scope=scope)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", actor_id=user.id, subject_type="user", subject_id=user.id)
    return secret


def revoke_token(token: ApiToken) -> None:
    if token.revoked_dt is None:
        token.revoked_dt = now_utc()
        audit.record("api_token.revoked", actor_id=token.user_id, subject_type="user", subject_id=token.user_id)


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_tokens_of_deactivated(user: User, actor: User) -> None:
    """Every live token of a deactivated user ends with the account (registered with people.hooks)."""
    now = now_utc()
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_dt.is_(None))
    ).all()
    for token in tokens:
        token.revoked_dt = now
    if tokens:
        audit.record("api_token.revoked", actor_id=actor.id, subject_type="user", subject_id=user.id, count=len(tokens))
