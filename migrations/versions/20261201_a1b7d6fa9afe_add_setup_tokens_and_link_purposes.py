"""Add setup tokens and link purposes

Revision ID: a1b7d6fa9afe
Revises: dac5f5daaf86
Create Date: 2026-12-01 15:18:35.065698

"""
from alembic import op
import sqlalchemy as sa

import lms.core.db


# revision identifiers, used by Alembic.
revision = 'a1b7d6fa9afe'
down_revision = 'dac5f5daaf86'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('setup_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_dt', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_setup_token_token_hash'))
    )
    with op.batch_alter_table('login_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.Enum('login', 'invite', 'reset', name='link_purpose', native_enum=False, create_constraint=True, length=8), server_default='login', nullable=False))
    # Every link made before this revision signs a learner in: server_default='login' says so.


def downgrade():
    # Setup codes and invitation and reset links are one-time secrets, not anyone's data. Before the
    # purpose goes, an invitation or reset link would become a plain sign-in link: delete them instead.
    op.execute("DELETE FROM login_link WHERE purpose <> 'login'")
    with op.batch_alter_table('login_link', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_login_link_link_purpose'), type_='check')
        batch_op.drop_column('purpose')

    op.drop_table('setup_token')
