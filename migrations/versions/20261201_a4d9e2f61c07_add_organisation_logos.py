"""Add organisation logos

Revision ID: a4d9e2f61c07
Revises: 5c1e0a7d2b3f
Create Date: 2026-12-01 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from lms.core.migrating import refuse_to_drop_data


# revision identifiers, used by Alembic.
revision = 'a4d9e2f61c07'
down_revision = '5c1e0a7d2b3f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_png', sa.LargeBinary(), nullable=True))


def downgrade():
    refuse_to_drop_data([], {'organisation': ['logo_png']})
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('logo_png')
