/**
 * One closing line CI can parse, the last line jest's process prints (on stdout):
 *
 *   <passed> passed, <failed> failed, <skipped> skipped
 *
 * skipped counts skipped and todo tests. A test file that could not run at all (a syntax error, an import that does
 * not resolve, an exception while collecting, a failing afterAll) has no failed test to count, so it counts as one
 * failure here: the line never says "0 failed" for a run jest fails. jest's exit status is not changed.
 *
 * jest calls its own summary reporter after custom reporters and prints more once they are done, so the line is
 * written when the process exits, synchronously (an asynchronous write could be lost at exit).
 */
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    process.once('exit', () => fs.writeSync(process.stdout.fd, line));
  }
}

module.exports = SummaryReporter;
