// Runs in each test file of the `store postgres` project before it loads: tempStore() (test/helpers/store.ts) then
// opens a new database on the run's PostgreSQL cluster instead of a SQLite file.
process.env.PREWARM_TEST_STORE = 'postgres';
