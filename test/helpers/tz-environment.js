/**
 * jest's node environment with the worker process's time zone set to `testEnvironmentOptions.processTimeZone` for
 * one test file, and put back afterwards (workers are reused by later files).
 *
 * The zone has to be set here, outside the test sandbox: inside a test, `process.env` is jest's copy of the
 * environment, so assigning TZ there never reaches Node. Assigning (or deleting) the real process.env.TZ makes Node
 * drop its cached zone, so Date and Intl follow at once.
 */
const { TestEnvironment } = require('jest-environment-node');

class TimeZoneEnvironment extends TestEnvironment {
  constructor(config, context) {
    const zone = config.projectConfig.testEnvironmentOptions.processTimeZone;
    if (typeof zone !== 'string' || zone === '') {
      throw new Error('tz-environment needs testEnvironmentOptions.processTimeZone (an IANA zone name)');
    }
    const previous = process.env.TZ;
    // Before super(): the sandbox's copy of process.env is taken in the base constructor.
    process.env.TZ = zone;
    super(config, context);
    this.previousTimeZone = previous;
  }

  async teardown() {
    if (this.previousTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = this.previousTimeZone;
    await super.teardown();
  }
}

module.exports = TimeZoneEnvironment;
