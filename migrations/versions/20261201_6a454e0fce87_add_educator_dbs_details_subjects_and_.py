"""Add educator DBS details, subjects and volunteer hours

The DBS check date each profile had becomes the certificate's issue date, and its recheck date is the
issue date plus three years (the rule suggestions used until now), so no educator's standing changes.

Revision ID: 6a454e0fce87
Revises: ddd63dbf9f3b
Create Date: 2026-12-01 15:20:36.956764

"""

from datetime import date

import sqlalchemy as sa
from alembic import op

import lms.core.db
from lms.core.migrating import refuse_to_drop_data

# revision identifiers, used by Alembic.
revision = "6a454e0fce87"
down_revision = "ddd63dbf9f3b"
branch_labels = None
depends_on = None

DBS_LEVEL = sa.Enum(
    "basic",
    "standard",
    "enhanced",
    "enhanced_barred",
    name="dbs_level",
    native_enum=False,
    create_constraint=True,
    length=16,
)

profile = sa.table(
    "educator_profile",
    sa.column("user_id", sa.Integer),
    sa.column("dbs_issue_date", sa.Date),
    sa.column("dbs_recheck_date", sa.Date),
)


def _three_years_on(day: date) -> date:
    try:
        return day.replace(year=day.year + 3)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 3, day=28)


def upgrade():
    op.create_table(
        "volunteer_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_dt", lms.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name=op.f("ck_volunteer_hours_hours_in_a_day")),
        sa.CheckConstraint("length(note) <= 200", name=op.f("ck_volunteer_hours_note_length")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user.id"],
            name=op.f("fk_volunteer_hours_recorded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_volunteer_hours_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_hours")),
    )
    with op.batch_alter_table("volunteer_hours", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_hours_user_date", ["user_id", "work_date"], unique=False)

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("required_dbs_level", DBS_LEVEL, nullable=True))

    with op.batch_alter_table("educator_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subjects", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("sectors", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("esol_levels", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("dbs_level", DBS_LEVEL, nullable=True))
        batch_op.add_column(sa.Column("dbs_certificate_number", sa.String(length=12), nullable=True))
        batch_op.alter_column("dbs_check_date", new_column_name="dbs_issue_date")
        batch_op.add_column(sa.Column("dbs_update_service", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("dbs_recheck_date", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_educator_profile_dbs_recheck_date"), ["dbs_recheck_date"], unique=False)

    connection = op.get_bind()
    for user_id, issued in connection.execute(
        sa.select(profile.c.user_id, profile.c.dbs_issue_date).where(profile.c.dbs_issue_date.is_not(None))
    ):
        connection.execute(
            profile.update().where(profile.c.user_id == user_id).values(dbs_recheck_date=_three_years_on(issued))
        )

    # The defaults were for the rows already there; new rows get theirs from the models.
    with op.batch_alter_table("educator_profile", schema=None) as batch_op:
        for name in ("subjects", "sectors", "esol_levels"):
            batch_op.alter_column(name, server_default=None)
        batch_op.create_check_constraint(
            "dbs_dates_in_order",
            sa.text("dbs_recheck_date IS NULL OR dbs_issue_date IS NULL OR dbs_recheck_date > dbs_issue_date"),
        )


def downgrade():
    refuse_to_drop_data(
        ["volunteer_hours"],
        {
            "educator_profile": ["dbs_level", "dbs_certificate_number", "dbs_recheck_date"],
            "course": ["required_dbs_level"],
        },
    )
    with op.batch_alter_table("educator_profile", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_educator_profile_dbs_dates_in_order"), type_="check")
        batch_op.drop_index(batch_op.f("ix_educator_profile_dbs_recheck_date"))
        batch_op.drop_column("dbs_recheck_date")
        batch_op.drop_column("dbs_update_service")
        batch_op.alter_column("dbs_issue_date", new_column_name="dbs_check_date")
        batch_op.drop_column("dbs_certificate_number")
        batch_op.drop_constraint(batch_op.f("ck_educator_profile_dbs_level"), type_="check")
        batch_op.drop_column("dbs_level")
        batch_op.drop_column("esol_levels")
        batch_op.drop_column("sectors")
        batch_op.drop_column("subjects")

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_course_dbs_level"), type_="check")
        batch_op.drop_column("required_dbs_level")

    with op.batch_alter_table("volunteer_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_hours_user_date")

    op.drop_table("volunteer_hours")
