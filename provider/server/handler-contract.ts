import type { MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Provider } from '../protocol';

type Methods = (typeof Provider)['method'];

/** What a handler gets besides its request. */
export interface CallContext {
  /** Aborted by StopProvider (and at shutdown): long operations should give up promptly. */
  signal: AbortSignal;
  log: ProviderLog;
}

/** hclog-style structured logging on stderr (Terraform shows it with TF_LOG). */
export interface ProviderLog {
  trace(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * The provider's behaviour, one function per unary tfplugin6 RPC. The plugin server (provider/server) wires each
 * present handler to `/tfplugin6.Provider/<Rpc>`; absent ones answer UNIMPLEMENTED. Handlers report failures as
 * diagnostics in their response, never by throwing; a throw is a bug and is reported as an internal error.
 */
export type ProviderHandlers = {
  [K in keyof Methods]?: Methods[K] extends { methodKind: 'unary' }
    ? (req: MessageShape<Methods[K]['input']>, ctx: CallContext) => Promise<MessageInitShape<Methods[K]['output']>>
    : never;
};

/**
 * Encoded responses of RPCs whose answer never changes, served as they are: such a call needs neither the handlers
 * nor the protobuf encoder. The provider precomputes its GetProviderSchema answer (provider/schema-blob.ts).
 */
export type PrecomputedAnswers = {
  readonly [K in keyof Methods]?: Methods[K] extends { methodKind: 'unary' } ? () => Uint8Array : never;
};
