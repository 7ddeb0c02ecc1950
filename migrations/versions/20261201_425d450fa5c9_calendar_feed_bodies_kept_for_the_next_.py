"""Keep each calendar feed's last body for the next poll of an unchanged feed

Revision ID: 425d450fa5c9
Revises: 1a374f9d4e38
Create Date: 2026-12-01 15:18:12.210778

"""
from alembic import op
import sqlalchemy as sa

import lms.core.db


# revision identifiers, used by Alembic.
revision = '425d450fa5c9'
down_revision = '1a374f9d4e38'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed_body',
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('stored_dt', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['feed_id'], ['calendar_feed.id'], name=op.f('fk_calendar_feed_body_feed_id_calendar_feed'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feed_id', name=op.f('pk_calendar_feed_body'))
    )


def downgrade():
    # Only a copy of what the feeds render again on their next poll: nothing is lost.
    op.drop_table('calendar_feed_body')
