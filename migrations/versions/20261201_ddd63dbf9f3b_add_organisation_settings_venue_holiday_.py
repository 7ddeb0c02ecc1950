"""Add organisation settings, venue holiday regions and certificate reissue

Revision ID: ddd63dbf9f3b
Revises: cc2c37721f37
Create Date: 2026-12-01 15:18:20.504701

"""
from alembic import op
import sqlalchemy as sa

from lms.core.migrating import DataLossRefused, refuse_to_drop_data


# revision identifiers, used by Alembic.
revision = 'ddd63dbf9f3b'
down_revision = 'cc2c37721f37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signatory_title', sa.String(length=200), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_certificate_enrolment_id_certificate_type_id'), type_='unique')
        batch_op.create_index(
            'uq_certificate_current',
            ['enrolment_id', 'certificate_type_id'],
            unique=True,
            postgresql_where=sa.text('revoked_dt IS NULL'),
            sqlite_where=sa.text('revoked_dt IS NULL'),
        )

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('default_locale', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signatory_title', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(
            sa.Column('educators_issue_certificates', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint('address_length', sa.text('length(address) <= 1000'))

    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holiday_region', sa.String(length=3), nullable=True))

    # Wales has England's bank holidays: the regions offered are England and Wales, Scotland, Northern Ireland.
    op.execute("UPDATE organisation SET holiday_region = 'ENG' WHERE holiday_region = 'WLS'")


def downgrade():
    refuse_to_drop_data([], {'organisation': ['default_locale'], 'venue': ['holiday_region']})
    reissued = op.get_bind().exec_driver_sql(
        'SELECT count(*) FROM certificate WHERE revoked_dt IS NOT NULL AND EXISTS (SELECT 1 FROM certificate AS newer'
        ' WHERE newer.enrolment_id = certificate.enrolment_id'
        ' AND newer.certificate_type_id = certificate.certificate_type_id AND newer.id != certificate.id)'
    ).scalar_one()
    if reissued:
        raise DataLossRefused(
            f'{reissued} revoked certificates were reissued; the old schema holds one certificate per place and '
            'kind. Delete the revoked ones (after a backup: lms backup PATH) before downgrading.'
        )
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('holiday_region')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organisation_address_length'), type_='check')
        batch_op.drop_column('educators_issue_certificates')
        batch_op.drop_column('signatory_title')
        batch_op.drop_column('signatory_name')
        batch_op.drop_column('default_locale')
        batch_op.drop_column('address')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_current')
        batch_op.create_unique_constraint(
            batch_op.f('uq_certificate_enrolment_id_certificate_type_id'), ['enrolment_id', 'certificate_type_id']
        )
        batch_op.drop_column('signatory_title')
        batch_op.drop_column('signatory_name')
