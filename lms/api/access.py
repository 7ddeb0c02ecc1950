"""Who may do what with API tokens: each user sees and revokes only their own. Everything a token
reaches is decided by the areas' rules, since a token acts as its owner."""

from __future__ import annotations

from lms.api.models import ApiToken
from lms.people.models import User


def owns_token(user: User, token: ApiToken) -> bool:
    return token.user_id == user.id
