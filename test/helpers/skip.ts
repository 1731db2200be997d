/**
 * Conditional skips are decided before the tests are defined: `(skipping(reason, 'what') ? test.skip : test)(…)`.
 * When there is a reason, it is printed once, so the run says why the tests did not run (a tool that is not
 * installed, a bundle that was not built) instead of only counting them as skipped. It goes straight to stderr:
 * jest's default reporter shows no console output at all for a test file whose tests were all skipped.
 */
export function skipping(reason: string | false | undefined, what: string): boolean {
  if (!reason) return false;
  process.stderr.write(`skipping ${what}: ${reason}\n`);
  return true;
}
