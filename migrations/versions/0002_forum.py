"""taxonomy forum notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:04:26.090872
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
import re
import unicodedata

import pycountry
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('short_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('jurisdiction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('sector',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'key')
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_user_id'), ['user_id'], unique=False)

    op.create_table('thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=False),
    sa.Column('last_post_id', sa.Integer(), nullable=True),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('reply_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.create_index('ix_thread_listing', ['pinned', 'last_activity_at', 'id'], unique=False)
        batch_op.create_index('ix_thread_sector_listing', ['sector_id', 'pinned', 'last_activity_at', 'id'], unique=False)

    op.create_table('watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'target_type', 'target_id')
    )
    with op.batch_alter_table('watch', schema=None) as batch_op:
        batch_op.create_index('ix_watch_target', ['target_type', 'target_id'], unique=False)

    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('hidden_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['post.id'], ),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index('ix_post_thread_path', ['thread_id', 'path'], unique=False)

    op.create_table('read_state',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('last_read_post_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'thread_id')
    )
    op.create_table('thread_instrument',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], ),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'instrument_id')
    )
    with op.batch_alter_table('thread_instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_instrument_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('thread_jurisdiction',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], ),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'jurisdiction_id')
    )
    with op.batch_alter_table('thread_jurisdiction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_jurisdiction_jurisdiction_id'), ['jurisdiction_id'], unique=False)

    op.create_table('thread_tag',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'tag_id')
    )
    with op.batch_alter_table('thread_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_tag_tag_id'), ['tag_id'], unique=False)

    op.create_table('bookmark',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'post_id')
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('mailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('post_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'revision')
    )
    with op.batch_alter_table('post_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_revision_post_id'), ['post_id'], unique=False)

    # New columns on a table that may already hold members: added nullable, filled, then tightened.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('mail_preference', sqlmodel.sql.sqltypes.AutoString(length=10),
                                      nullable=False, server_default='each'))
        batch_op.add_column(sa.Column('digest_sent_at', sa.DateTime(), nullable=True))
    _fill_handles()
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('handle', existing_type=sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False)
        batch_op.alter_column('mail_preference', existing_type=sqlmodel.sql.sqltypes.AutoString(length=10),
                              server_default=None)
        batch_op.create_unique_constraint('uq_user_account_handle', ['handle'])

    _load_taxonomy()



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_account_handle', type_='unique')
        batch_op.drop_column('digest_sent_at')
        batch_op.drop_column('mail_preference')
        batch_op.drop_column('handle')

    with op.batch_alter_table('post_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_revision_post_id'))

    op.drop_table('post_revision')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_unread')

    op.drop_table('notification')
    op.drop_table('bookmark')
    with op.batch_alter_table('thread_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_tag_tag_id'))

    op.drop_table('thread_tag')
    with op.batch_alter_table('thread_jurisdiction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_jurisdiction_jurisdiction_id'))

    op.drop_table('thread_jurisdiction')
    with op.batch_alter_table('thread_instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_instrument_instrument_id'))

    op.drop_table('thread_instrument')
    op.drop_table('read_state')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_thread_path')
        batch_op.drop_index(batch_op.f('ix_post_thread_id'))

    op.drop_table('post')
    with op.batch_alter_table('watch', schema=None) as batch_op:
        batch_op.drop_index('ix_watch_target')

    op.drop_table('watch')
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_sector_listing')
        batch_op.drop_index('ix_thread_listing')

    op.drop_table('thread')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_user_id'))

    op.drop_table('draft')
    op.drop_table('tag')
    op.drop_table('sector')
    op.drop_table('jurisdiction')
    op.drop_table('instrument')


SECTORS = [
    ("medical-products", "Medical products and pharmaceuticals"),
    ("tobacco", "Tobacco"),
    ("alcohol-excisable-goods", "Alcohol and other excisable goods"),
    ("food-beverages", "Food and beverages"),
    ("pesticides-agrochemicals", "Pesticides and agrochemicals"),
    ("hazardous-chemicals", "Hazardous chemicals"),
    ("hazardous-waste", "Hazardous waste"),
    ("firearms", "Firearms, parts and ammunition"),
    ("narcotics-precursors", "Narcotic drugs and precursors"),
    ("counterfeit-consumer-goods", "Counterfeit consumer goods (apparel, luxury, toys, cosmetics)"),
    ("electronics-spare-parts", "Electronics and spare parts"),
    ("fuel", "Fuel"),
    ("wildlife-timber", "Wildlife and timber"),
    ("cross-sector", "Cross-sector questions (money laundering, organised crime, cooperation)"),
]

REGIONS = [
    ("european-union", "European Union"),
    ("asean", "ASEAN"),
    ("african-union", "African Union"),
    ("ecowas", "ECOWAS"),
    ("caricom", "CARICOM"),
    ("mercosur", "Mercosur"),
    ("gulf-cooperation-council", "Gulf Cooperation Council"),
    ("andean-community", "Andean Community"),
    ("council-of-europe", "Council of Europe"),
    ("international", "International / multilateral"),
]

INSTRUMENTS = [
    ("untoc", "United Nations Convention against Transnational Organized Crime", "UNTOC", 2000),
    ("firearms-protocol", "Protocol against the Illicit Manufacturing of and Trafficking in Firearms, "
     "their Parts and Components and Ammunition", "Firearms Protocol", 2001),
    ("drug-convention-1988", "United Nations Convention against Illicit Traffic in Narcotic Drugs and "
     "Psychotropic Substances", "1988 Drug Convention", 1988),
    ("basel", "Basel Convention on the Control of Transboundary Movements of Hazardous Wastes and their "
     "Disposal", "Basel Convention", 1989),
    ("rotterdam", "Rotterdam Convention on the Prior Informed Consent Procedure for Certain Hazardous "
     "Chemicals and Pesticides in International Trade", "Rotterdam Convention", 1998),
    ("medicrime", "Council of Europe Convention on the counterfeiting of medical products and similar crimes "
     "involving threats to public health", "MEDICRIME Convention", 2011),
    ("fctc-protocol", "WHO FCTC Protocol to Eliminate Illicit Trade in Tobacco Products", "FCTC Protocol", 2012),
    ("trips", "WTO Agreement on Trade-Related Aspects of Intellectual Property Rights", "TRIPS", 1994),
    ("uncac", "United Nations Convention against Corruption", "UNCAC", 2003),
    ("cites", "Convention on International Trade in Endangered Species of Wild Fauna and Flora", "CITES", 1973),
]


def _fill_handles() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, display_name, email FROM user_account ORDER BY id")).all()
    taken: set[str] = set()
    for user_id, name, email in rows:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9_-]+", ".", ascii_name.lower()).strip(".-_")[:30] or email.split("@")[0][:30]
        handle, number = base, 2
        while handle in taken:
            handle, number = f"{base}{number}", number + 1
        taken.add(handle)
        connection.execute(sa.text("UPDATE user_account SET handle = :handle WHERE id = :id"),
                           {"handle": handle, "id": user_id})


def _load_taxonomy() -> None:
    """The taxonomy every fresh database starts with: PRODUCT.md's sectors, every ISO 3166-1
    country from pycountry, the regional and international bodies, and the instruments."""
    sector = sa.table("sector", sa.column("slug"), sa.column("name"), sa.column("description"),
                      sa.column("position"), sa.column("archived"))
    op.bulk_insert(sector, [{"slug": slug, "name": name, "description": "", "position": number,
                             "archived": False} for number, (slug, name) in enumerate(SECTORS)])
    jurisdiction = sa.table("jurisdiction", sa.column("code"), sa.column("name"), sa.column("kind"),
                            sa.column("archived"))
    countries = [{"code": c.alpha_2, "name": getattr(c, "common_name", None) or c.name, "kind": "country",
                  "archived": False} for c in pycountry.countries]
    regions = [{"code": code, "name": name, "kind": "region", "archived": False} for code, name in REGIONS]
    op.bulk_insert(jurisdiction, countries + regions)
    instrument = sa.table("instrument", sa.column("slug"), sa.column("name"), sa.column("short_name"),
                          sa.column("year"), sa.column("archived"))
    op.bulk_insert(instrument, [{"slug": slug, "name": name, "short_name": short, "year": year, "archived": False}
                                for slug, name, short, year in INSTRUMENTS])
