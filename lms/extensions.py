"""Flask extensions, created without an app so every module can import them.

`Model` is the base class of every model. At run time it is `db.Model` (Flask-SQLAlchemy's subclass of
`Base`, sharing its metadata); to the type checker it is the typed declarative `Base`.
"""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from lms.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()

if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
