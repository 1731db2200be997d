/**
 * The integration project's default test and hook timeout. Its tests run real processes (terraform, PostgreSQL,
 * controllers) on a shared two-core machine, where jest's 5 s default fails a correct test that merely ran while the
 * machine was busy. Files and tests that know their own bound still set it; this is the floor for those that forgot.
 */
jest.setTimeout(60_000);
