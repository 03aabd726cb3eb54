"""Migration 0009 keeps the data of a database at 0004 and widens the client statuses in place."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sbrflow.models import migrate
from sbrflow.models.db import create_engine_for


@pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrading_a_database_holding_data_from_0004_keeps_every_row(fresh_database_url):
    engine = create_engine_for(fresh_database_url)
    try:
        migrate.upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO client (id, client_number, kind, name, status) VALUES "
                "(1, '1001', 'company', 'Holding', 'client'), (2, '1002', 'company', 'Werk', 'former_client')"))
            conn.execute(sa.text("UPDATE client SET cluster_head_id = 1, billed_to_id = 1 WHERE id = 2"))
            conn.execute(sa.text("INSERT INTO person (id, contact_number, last_name) VALUES (1, '5001', 'Vries')"))
            conn.execute(sa.text("INSERT INTO client_contact (client_id, person_id, share_percentage) VALUES (1, 1, 100)"))
            conn.execute(sa.text("INSERT INTO subscription (client_id, product, frequency) VALUES (1, 'vat_return', 'month')"))
            conn.execute(sa.text("INSERT INTO team_member (code, name) VALUES ('JDV', 'Jeroen')"))
        migrate.upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM client_contact")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM subscription")).scalar() == 1
            assert conn.execute(sa.text("SELECT cluster_head_id, billed_to_id, work_stop FROM client WHERE id = 2")
                                ).one() [:2] == (1, 1)
            assert conn.execute(sa.text("SELECT client_approver FROM team_member")).scalar() in (False, 0)
            conn.execute(sa.text("INSERT INTO client (id, client_number, kind, name, status) VALUES "
                                 "(101, '9001', 'company', 'Rabobank', 'relation')"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO client (id, client_number, kind, name, status) VALUES "
                                 "(102, '9002', 'company', 'X', 'no_such_status')"))
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        migrate.check(engine)
    finally:
        engine.dispose()
