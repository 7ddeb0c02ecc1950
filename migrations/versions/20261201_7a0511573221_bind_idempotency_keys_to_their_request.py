"""Bind idempotency keys to their request

Revision ID: 7a0511573221
Revises: bdc6c8ff37a0
Create Date: 2026-12-01 11:06:31.924960

"""
from alembic import op
import sqlalchemy as sa

from lms.core.migrating import refuse_to_drop_data

# revision identifiers, used by Alembic.
revision = '7a0511573221'
down_revision = 'bdc6c8ff37a0'
branch_labels = None
depends_on = None


def upgrade():
    # Keys stored before this revision get an empty hash: no request matches it, so reusing one of
    # them is refused (422) rather than replayed for a body that was never compared.
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.alter_column('request_hash', existing_type=sa.String(length=64), server_default=None)
        batch_op.alter_column('status', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('body', existing_type=sa.JSON(), nullable=True)


def downgrade():
    refuse_to_drop_data([], {'idempotent_request': ['request_hash']})
    # A claim is only ever committed with its answer, so no row has an empty status or body here.
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('status', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('request_hash')
