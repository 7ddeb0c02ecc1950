"""The progression pages, one blueprint: learners' progress and achievements, learning plans, results,
outcomes, placements, completion, certificates and their public verification."""

from flask import Blueprint

bp = Blueprint("progression", __name__, template_folder="../templates")

from lms.assessments.progression.views import achievements, plans  # noqa: E402, F401  (routes register on bp)
