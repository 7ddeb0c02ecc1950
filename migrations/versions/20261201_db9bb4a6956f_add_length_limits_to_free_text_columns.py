"""Add length limits to free-text columns

Revision ID: db9bb4a6956f
Revises: 72416072b9a8
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'db9bb4a6956f'
down_revision = '72416072b9a8'
branch_labels = None
depends_on = None

#: The most characters each free-text column holds (lms.core.db.LimitedText), as of this revision.
LIMITS = {
    'certificate_type': {'description': 4000},
    'course': {'summary': 2000, 'aims': 4000, 'learning_outcomes': 4000},
    'eligibility_rule': {'description': 2000},
    'pathway': {'description': 4000},
    'venue': {'address': 1000, 'accessibility_notes': 2000},
    'course_translation': {'summary': 2000},
    'educator_profile': {'qualifications': 2000, 'skills': 2000},
    'learner': {'childcare_needs': 2000},
    'programme': {'description': 4000},
    'course_completion': {'note': 2000},
    'esol_assessment': {'note': 2000},
    'immigration_status_record': {'note': 2000},
    'learner_sensitive': {'health_and_access_needs': 4000, 'safeguarding_notes': 4000},
    'outcome': {'evidence_note': 2000},
    'referral': {'notes': 4000, 'decision_note': 2000},
    'enrolment': {'withdrawn_reason': 500},
    'session': {'cancel_reason': 500},
    'certificate': {'revoked_reason': 2000},
    'learning_plan': {
        'aims': 10000,
        'starting_point': 10000,
        'support_needs': 10000,
        'learner_self_assessment': 10000,
        'tutor_judgement': 10000,
        'planned_outcomes': 10000,
        'unplanned_outcomes': 10000,
        'next_steps': 10000,
    },
    'placement': {'employer_feedback': 10000},
    'learning_objective': {'text': 1000},
    'progress_review': {'educator_comment': 10000, 'learner_comment': 10000, 'attendance_review': 10000},
    'objective_revision': {'old_text': 1000, 'new_text': 1000},
}


def _too_long(connection) -> list[str]:
    quote = connection.dialect.identifier_preparer.quote
    found = []
    for table, columns in LIMITS.items():
        for column, limit in columns.items():
            count = connection.exec_driver_sql(
                f'SELECT count(*) FROM {quote(table)} WHERE length({quote(column)}) > {limit}'  # noqa: S608
            ).scalar_one()
            if count:
                found.append(f'{table}.{column}: {count} longer than {limit} characters')
    return found


def upgrade():
    # A limit the data already breaks would fail half-way through: say which, and change nothing.
    too_long = _too_long(op.get_bind())
    if too_long:
        raise RuntimeError(
            'Some texts are longer than their new limit (' + '; '.join(too_long) + '). '
            'Shorten them, then run the upgrade again.'
        )
    for table, columns in LIMITS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, limit in columns.items():
                batch_op.create_check_constraint(f'{column}_length', sa.text(f'length({column}) <= {limit}'))


def downgrade():
    # Only constraints go: no data is dropped.
    for table, columns in LIMITS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(batch_op.f(f'ck_{table}_{column}_length'), type_='check')
