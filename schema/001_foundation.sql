-- placeholder replaced by the store work: schema_migrations is created by the runner
SELECT 1;
