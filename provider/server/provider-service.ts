/**
 * `/tfplugin6.Provider/<Rpc>`: every unary RPC is registered and dispatched to the ProviderHandlers method of the
 * same name once the handlers are loaded (the first such call loads them), except those with a precomputed answer,
 * which is sent as it is. A method
 * the handlers leave out answers UNIMPLEMENTED, as do all streaming RPCs (not registered at all).
 *
 * StopProvider belongs to the server: it aborts the signal of every call in flight and answers at once with an
 * empty Error, the way terraform-plugin-go does; Terraform itself waits for the aborted calls to return.
 *
 * A handler that throws (or answers something that cannot be encoded) is a bug: the call still answers OK, with an
 * error diagnostic in the response's `diagnostics` (CallFunction: in its FunctionError), because Terraform turns gRPC
 * errors into obscure messages ("Plugin error: The plugin returned an unexpected error"). The stack goes to stderr as
 * a `panic:` report.
 */
import type { DescMessage, DescMethod, Message } from '@bufbuild/protobuf';
import { Diagnostic_Severity, DiagnosticSchema, FunctionErrorSchema, Provider } from '../protocol';
import type { CallRegistry } from './calls';
import type { CallContext, PrecomputedAnswers, ProviderHandlers } from './handler-contract';
import { encodeResponse, RpcError, Status, type MethodImpl, type RpcServer, type UnaryCall } from './grpc-server';
import { errorMessage, formatPanic, writeQuietly, type LineSink, type Logger } from './hclog';

export const INTERNAL_ERROR_SUMMARY = 'Internal error in the prewarm provider';

export interface ProviderServiceDeps {
  /** Resolves to the handlers; a rejection is reported in every call's diagnostics. */
  handlers: () => Promise<ProviderHandlers>;
  /** Encoded answers sent as they are, before and without the handlers. */
  precomputed?: PrecomputedAnswers;
  calls: CallRegistry;
  log: Logger;
  /** Where `panic:` reports go (stderr). */
  stderr: LineSink;
}

type AnyHandler = (request: Message, ctx: CallContext) => Promise<unknown>;
type UnaryMethod = DescMethod & { methodKind: 'unary' };

export function registerProviderService(server: RpcServer, deps: ProviderServiceDeps): void {
  const methods: MethodImpl[] = [];
  for (const method of Provider.methods) {
    if (!isUnary(method)) continue;
    const answer = (deps.precomputed as Record<string, (() => Uint8Array) | undefined> | undefined)?.[method.localName];
    const unary =
      method.localName === 'stopProvider'
        ? stopProvider(deps)
        : answer !== undefined
          ? precomputed(method, answer, deps.log)
          : (call: UnaryCall) => dispatch(method, deps, call);
    methods.push({ method, unary });
  }
  server.register(methods);
}

function isUnary(method: DescMethod): method is UnaryMethod {
  return method.methodKind === 'unary';
}

function precomputed(method: UnaryMethod, answer: () => Uint8Array, log: Logger): () => Buffer {
  return () => {
    log.trace('Served precomputed response', { tf_rpc: method.name });
    const bytes = answer();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function stopProvider(deps: ProviderServiceDeps): () => Buffer {
  return () => {
    const aborted = deps.calls.abortAll('Terraform asked the provider to stop (StopProvider)');
    deps.log.info('StopProvider: cancelling the calls in flight', { tf_rpc: 'StopProvider', calls: aborted });
    return encodeResponse(Provider.method.stopProvider.output, { Error: '' });
  };
}

async function dispatch(method: UnaryMethod, deps: ProviderServiceDeps, call: UnaryCall): Promise<Buffer> {
  const controller = deps.calls.begin();
  const forgetCancel = call.onAbort((reason) => {
    const deadline = reason.code === Status.DEADLINE_EXCEEDED;
    controller.abort(new Error(deadline ? `the deadline of the ${method.name} call passed` : `Terraform cancelled the ${method.name} call`));
  });
  const log = deps.log.with({ tf_rpc: method.name });
  const started = performance.now();
  log.trace('Received request');
  try {
    let handlers: ProviderHandlers;
    try {
      handlers = await deps.handlers();
    } catch (err) {
      // Reported (with its stack) once, where the load failed; here it only becomes this call's diagnostic.
      return answerWithError(method, `the provider could not be loaded: ${errorMessage(err)}`);
    }
    const handler = (handlers as Record<string, AnyHandler | undefined>)[method.localName];
    if (typeof handler !== 'function') {
      log.debug('Unimplemented RPC');
      throw new RpcError(Status.UNIMPLEMENTED, `terraform-provider-prewarm does not implement ${method.name}`);
    }
    let response: Buffer;
    try {
      const result = await handler.call(handlers, call.request, { signal: controller.signal, log });
      if (result === null || typeof result !== 'object') {
        throw new Error(`the ${method.localName} handler returned ${result === null ? 'null' : typeof result}, not a ${method.output.typeName}`);
      }
      response = encodeResponse(method.output, result as never);
    } catch (err) {
      writeQuietly(deps.stderr, formatPanic(`recovered in ${method.name}`, err));
      log.error('Handler failed', { error: errorMessage(err) });
      return answerWithError(method, errorMessage(err));
    }
    log.trace('Served request', { duration_ms: Math.round((performance.now() - started) * 1000) / 1000 });
    return response;
  } finally {
    forgetCancel();
    deps.calls.end(controller);
  }
}

/** The response carrying `detail` as an error diagnostic; INTERNAL for a response type with no place for one. */
function answerWithError(method: DescMethod, detail: string): Buffer {
  const response = errorResponse(method.output, detail);
  if (response === undefined) throw new RpcError(Status.INTERNAL, `${INTERNAL_ERROR_SUMMARY}: ${detail}`);
  return response;
}

/**
 * The response reporting an internal error: one error diagnostic in `diagnostics` (every unary tfplugin6 response
 * but two has it), or CallFunction's `error` (FunctionError.text); undefined for StopProvider, which has neither.
 */
export function errorResponse(schema: DescMessage, detail: string): Buffer | undefined {
  const diagnostics = schema.fields.find((f) => f.localName === 'diagnostics');
  if (diagnostics?.fieldKind === 'list' && diagnostics.listKind === 'message' && diagnostics.message.typeName === DiagnosticSchema.typeName) {
    return encodeResponse(schema, {
      diagnostics: [{ severity: Diagnostic_Severity.ERROR, summary: INTERNAL_ERROR_SUMMARY, detail }],
    } as never);
  }
  const functionError = schema.fields.find((f) => f.localName === 'error');
  if (functionError?.fieldKind === 'message' && functionError.message.typeName === FunctionErrorSchema.typeName) {
    return encodeResponse(schema, { error: { text: `${INTERNAL_ERROR_SUMMARY}: ${detail}` } } as never);
  }
  return undefined;
}
