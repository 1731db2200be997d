/**
 * `/tfplugin6.Provider/<Rpc>`: every unary RPC is registered and dispatched to the ProviderHandlers method of the
 * same name once the handlers are loaded (they may still be loading when Terraform's first call arrives). A method
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
import type * as grpc from '@grpc/grpc-js';
import type { DescMessage, DescMethod, Message } from '@bufbuild/protobuf';
import { Diagnostic_Severity, DiagnosticSchema, FunctionErrorSchema, Provider } from '../protocol';
import type { CallRegistry } from './calls';
import type { CallContext, ProviderHandlers } from './handler-contract';
import { errorMessage, formatPanic, writeQuietly, type LineSink, type Logger } from './hclog';
import { encodeResponse, registerMethods, Status, type UnaryImpl } from './rpc';

export const INTERNAL_ERROR_SUMMARY = 'Internal error in the prewarm provider';

export interface ProviderServiceDeps {
  /** Resolves to the handlers; a rejection is reported in every call's diagnostics. */
  handlers: () => Promise<ProviderHandlers>;
  calls: CallRegistry;
  log: Logger;
  /** Where `panic:` reports go (stderr). */
  stderr: LineSink;
}

type AnyHandler = (request: Message, ctx: CallContext) => Promise<unknown>;

export function registerProviderService(server: grpc.Server, deps: ProviderServiceDeps): void {
  const methods: Array<{ method: DescMethod; impl: UnaryImpl }> = [];
  for (const method of Provider.methods) {
    if (method.methodKind !== 'unary') continue;
    const impl: UnaryImpl =
      method.localName === 'stopProvider' ? stopProvider(deps) : (call, callback) => void dispatch(method, deps, call, callback);
    methods.push({ method, impl });
  }
  registerMethods(server, methods);
}

function stopProvider(deps: ProviderServiceDeps): UnaryImpl {
  return (_call, callback) => {
    const aborted = deps.calls.abortAll('Terraform asked the provider to stop (StopProvider)');
    deps.log.info('StopProvider: cancelling the calls in flight', { tf_rpc: 'StopProvider', calls: aborted });
    callback(null, encodeResponse(Provider.method.stopProvider.output, { Error: '' }));
  };
}

async function dispatch(
  method: DescMethod,
  deps: ProviderServiceDeps,
  call: grpc.ServerUnaryCall<Message, Buffer>,
  callback: grpc.sendUnaryData<Buffer>,
): Promise<void> {
  const controller = deps.calls.begin();
  const onCancel = () => controller.abort(new Error(`Terraform cancelled the ${method.name} call`));
  call.once('cancelled', onCancel);
  const log = deps.log.with({ tf_rpc: method.name });
  const started = performance.now();
  log.trace('Received request');
  try {
    let handlers: ProviderHandlers;
    try {
      handlers = await deps.handlers();
    } catch (err) {
      // Reported (with its stack) once, where the load failed; here it only becomes this call's diagnostic.
      answerWithError(method, `the provider could not be loaded: ${errorMessage(err)}`, callback);
      return;
    }
    const handler = (handlers as Record<string, AnyHandler | undefined>)[method.localName];
    if (typeof handler !== 'function') {
      log.debug('Unimplemented RPC');
      callback({ code: Status.UNIMPLEMENTED, details: `terraform-provider-prewarm does not implement ${method.name}` });
      return;
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
      answerWithError(method, errorMessage(err), callback);
      return;
    }
    log.trace('Served request', { duration_ms: Math.round((performance.now() - started) * 1000) / 1000 });
    callback(null, response);
  } finally {
    call.removeListener('cancelled', onCancel);
    deps.calls.end(controller);
  }
}

function answerWithError(method: DescMethod, detail: string, callback: grpc.sendUnaryData<Buffer>): void {
  const response = errorResponse(method.output, detail);
  if (response === undefined) callback({ code: Status.INTERNAL, details: `${INTERNAL_ERROR_SUMMARY}: ${detail}` });
  else callback(null, response);
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
