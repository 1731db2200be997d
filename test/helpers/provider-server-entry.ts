/**
 * A plugin server process for tests: serve() with stub handlers (not the real provider), started the way Terraform
 * starts the real one (`node --import tsx test/helpers/provider-server-entry.ts` with the go-plugin environment).
 * PREWARM_TEST_HANDLERS picks a variant: "stub" (default), "lazy" (handlers given as a loader), "lazy-fail" (the
 * loader throws), "noisy" (stub, plus console.log and process.stdout.write from module load and from a handler).
 */
import { serve } from '../../provider/server/serve';
import { guardProcessStdout } from '../../provider/server/stdout-guard';
import { stubHandlers } from './provider-server-stubs';

guardProcessStdout();
const variant = process.env.PREWARM_TEST_HANDLERS ?? 'stub';
if (variant === 'noisy') {
  console.log('noise from console.log before the handshake');
  process.stdout.write('noise from process.stdout.write before the handshake\n');
}
const handlers = stubHandlers({ noisy: variant === 'noisy' });
if (process.env.PREWARM_TEST_CRASH === 'timer') {
  setTimeout(() => {
    throw new Error('boom from a timer');
  }, 200);
}
if (variant === 'lazy') {
  void serve(async () => {
    await new Promise((r) => setTimeout(r, 300));
    return handlers;
  });
} else if (variant === 'lazy-fail') {
  void serve(() => {
    throw new Error('the handlers module is broken');
  });
} else {
  void serve(handlers);
}
