/**
 * The default test and hook timeout of the projects whose tests talk to real servers and processes: the integration
 * tests (terraform, controllers, PostgreSQL) and the store suites on PostgreSQL. They share a two-core machine, where
 * jest's 5 s default fails a correct test that merely ran while the machine was busy. Files and tests that know their
 * own bound still set it; this is the floor for those that do not.
 */
jest.setTimeout(60_000);
