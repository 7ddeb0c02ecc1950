"""Record the day a place was completed

Revision ID: 5c1e0a7d2b3f
Revises: db9bb4a6956f
Create Date: 2026-12-01 13:00:00.000000

Existing completed places take the day their status last changed. A place that was issued a course
certificate is completed (issuing checked the course's rules), on the day of its first certificate.
"""
from alembic import op
import sqlalchemy as sa

from lms.core.migrating import refuse_to_drop_data


# revision identifiers, used by Alembic.
revision = '5c1e0a7d2b3f'
down_revision = 'db9bb4a6956f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_date', sa.Date(), nullable=True))
    enrolment = sa.table(
        'enrolment',
        sa.column('id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('status_changed_dt', sa.DateTime),
        sa.column('completed_date', sa.Date),
    )
    certificate = sa.table(
        'certificate',
        sa.column('enrolment_id', sa.Integer),
        sa.column('issued_date', sa.Date),
        sa.column('revoked_dt', sa.DateTime),
    )
    connection = op.get_bind()
    first_issued = dict(
        connection.execute(
            sa.select(certificate.c.enrolment_id, sa.func.min(certificate.c.issued_date))
            .where(certificate.c.revoked_dt.is_(None))
            .group_by(certificate.c.enrolment_id)
        ).all()
    )
    rows = connection.execute(
        sa.select(enrolment.c.id, enrolment.c.status, enrolment.c.status_changed_dt).where(
            sa.or_(enrolment.c.status == 'completed', enrolment.c.id.in_(list(first_issued) or [0]))
        )
    ).all()
    for row in rows:
        if row.id in first_issued:
            values = {'status': 'completed', 'completed_date': first_issued[row.id]}
        else:
            values = {'completed_date': row.status_changed_dt.date()}
        connection.execute(enrolment.update().where(enrolment.c.id == row.id).values(**values))


def downgrade():
    refuse_to_drop_data([], {'enrolment': ['completed_date']})
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('completed_date')
