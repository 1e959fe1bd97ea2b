-- Run by init-databases.sh with the passwords as psql variables. Idempotent.

SELECT format('CREATE ROLE %I LOGIN', name)
FROM (VALUES ('airflow'), ('hive'), ('metabase')) AS roles(name)
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = roles.name)
\gexec

ALTER ROLE airflow WITH LOGIN PASSWORD :'airflow_password';
ALTER ROLE hive WITH LOGIN PASSWORD :'hive_password';
ALTER ROLE metabase WITH LOGIN PASSWORD :'metabase_password';

SELECT format('CREATE DATABASE %I OWNER %I', db, owner)
FROM (VALUES ('airflow', 'airflow'), ('metastore', 'hive'), ('metabase', 'metabase'))
    AS dbs(db, owner)
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = dbs.db)
\gexec

REVOKE ALL ON DATABASE airflow FROM PUBLIC;
REVOKE ALL ON DATABASE metastore FROM PUBLIC;
REVOKE ALL ON DATABASE metabase FROM PUBLIC;
