/** Stub tfplugin6 handlers for the plugin-server tests: just enough behaviour to observe the server's wiring. */
import { Diagnostic_Severity } from '../../provider/protocol';
import type { ProviderHandlers } from '../../provider/server/handler-contract';

export const SLOW_RESOURCE = 'prewarm_slow';
export const THROWING_RESOURCE = 'prewarm_throws';
/** Logged (info) by the slow handler when it starts, with `aborted_on_entry`. */
export const SLOW_STARTED = 'slow plan started';

export function stubHandlers(options: { noisy?: boolean } = {}): ProviderHandlers {
  return {
    async getProviderSchema() {
      return {
        provider: { version: 0n, block: { attributes: [] } },
        resourceSchemas: { prewarm_thing: { version: 1n, block: { attributes: [] } } },
      };
    },
    async validateProviderConfig(_req, ctx) {
      if (options.noisy) {
        console.log('noise from console.log in a handler');
        console.info('noise from console.info in a handler');
        process.stdout.write('noise from process.stdout.write in a handler\n');
      }
      ctx.log.info('validating the provider config', { big: 12345678901234567890n });
      return { diagnostics: [{ severity: Diagnostic_Severity.WARNING, summary: 'stub warning', detail: 'from the stub' }] };
    },
    async validateResourceConfig() {
      return {};
    },
    async planResourceChange(req, ctx) {
      if (req.typeName === THROWING_RESOURCE) throw new Error('stub handler exploded');
      if (req.typeName !== SLOW_RESOURCE) return { plannedState: req.proposedNewState };
      // Runs until StopProvider (or shutdown) aborts it, then reports how it ended. The log line lets tests see
      // that it started, and whether its call was already cancelled when it did.
      ctx.log.info(SLOW_STARTED, { aborted_on_entry: ctx.signal.aborted });
      const reason = await new Promise<unknown>((resolve) => {
        if (ctx.signal.aborted) resolve(ctx.signal.reason);
        ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason), { once: true });
      });
      return {
        diagnostics: [
          { severity: Diagnostic_Severity.ERROR, summary: 'Planning cancelled', detail: `aborted: ${(reason as Error).message}` },
        ],
      };
    },
    async readResource(req) {
      if (req.typeName === THROWING_RESOURCE) throw new TypeError('stub read exploded');
      // A value protobuf-es cannot encode: the server must still answer with a diagnostic.
      return { newState: { msgpack: 'not bytes' as unknown as Uint8Array } };
    },
  };
}
