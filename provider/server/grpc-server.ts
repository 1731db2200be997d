/**
 * The plugin's gRPC server, written over node:http2 instead of taken from grpc-js.
 *
 * Why by hand: Terraform starts the provider three times per `terraform plan`, and the plan walk of 200 resources makes
 * about 600 unary calls. A CPU profile of that process put grpc-js's server path (its interceptors, call objects,
 * metadata and stream wrappers) as the largest single cost, about 80 ms of self time out of 520 ms busy, on top of
 * loading grpc-js in every start. node:http2 already does all of HTTP/2 (framing, flow control, TLS with ALPN); what
 * is left is gRPC's own thin layer, and this server needs only a small part of it: unary calls, one server stream
 * that never sends anything (go-plugin's StreamStdio), status trailers and deadlines. That part is this module,
 * grpc-call.ts (one call), grpc-framing.ts (length-prefixed messages), grpc-status.ts and grpc-timeout.ts.
 * Measured after the change, 600 calls in a fresh provider process cost about 250 ms of server CPU against about
 * 285 ms through grpc-js; nearly all of what is left is node's http2 itself (stream objects, header blocks).
 * Nothing in the runtime loads grpc-js at start any more (the controller client is required on first use).
 *
 * Connections come from the plugin's own listener (listener.ts), already accepted: `accept` hands each to the HTTP/2
 * server as if that server had accepted it. mTLS when Terraform sent PLUGIN_CLIENT_CERT (TLS 1.2+, ALPN h2, the
 * client's certificate must verify against that one, so only the holder of Terraform's key gets in), plaintext
 * HTTP/2 otherwise (TF_DISABLE_PLUGIN_TLS, reattach).
 */
import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { create, fromBinary, type DescMessage, type DescMethod, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { encodeMessage, methodPath } from '../../controller/api/grpc-bridge';
import { ServerCall, stopUnreadRequest } from './grpc-call';
import { encodeGrpcMessage, Status, type RpcError, type StatusCode } from './grpc-status';
import { errorMessage } from './hclog';

export { MAX_MESSAGE_BYTES } from './grpc-framing';
export { RpcError, Status } from './grpc-status';

export interface TlsMaterial {
  /** PEM of the certificate Terraform sent in PLUGIN_CLIENT_CERT: the only client accepted. */
  clientCertPem: string;
  certPem: string;
  keyPem: string;
}

export interface UnaryCall {
  request: Message;
  /** Aborted when the client cancels, the connection goes or the deadline passes (the reason is an RpcError). */
  readonly signal: AbortSignal;
  /** The same event without an AbortSignal of its own; returns the function that removes the listener. */
  onAbort(listener: (reason: RpcError) => void): () => void;
}

export interface StreamCall extends UnaryCall {
  /** Ends the stream with status OK (nothing is ever sent on it). */
  end(): void;
}

/** Answers with bytes it encoded itself (encodeResponse), or throws an RpcError to answer with that status. */
export type UnaryImpl = (call: UnaryCall) => Buffer | Promise<Buffer>;
/** Gets the call once the response headers are out; the stream stays open until `end()` or the client goes. */
export type ServerStreamImpl = (call: StreamCall) => void;

export type MethodImpl =
  | { method: DescMethod & { methodKind: 'unary' }; unary: UnaryImpl }
  | { method: DescMethod & { methodKind: 'server_streaming' }; serverStream: ServerStreamImpl };

export interface RpcServer {
  /** Serves a connection the plugin's listener accepted (held paused until now). */
  accept(socket: Duplex): void;
  /** Methods not registered answer UNIMPLEMENTED. */
  register(methods: readonly MethodImpl[]): void;
  /**
   * No new calls (GOAWAY); each connection closes once its calls have answered; `done` once all are closed.
   * Connections still in their TLS handshake carry no call and are dropped.
   */
  close(done: () => void): void;
  /** Closes every connection now, calls in flight or not. */
  destroy(): void;
}

export interface RpcServerOptions {
  /** Connections that fail below gRPC: a refused client certificate, a broken TLS handshake, a session error. */
  onConnectionError?: (err: Error) => void;
}

type Route = (call: ServerCall, headers: http2.IncomingHttpHeaders) => void;

export function createRpcServer(tls: TlsMaterial | undefined, options: RpcServerOptions = {}): RpcServer {
  const onConnectionError = options.onConnectionError ?? (() => {});
  const server = createHttp2Server(tls);
  const routes = new Map<string, Route>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Duplex>();
  let closing = false;
  const whenClosed: Array<() => void> = [];

  const settleClose = () => {
    if (!closing || sessions.size > 0) return;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    for (const done of whenClosed.splice(0)) done();
  };

  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on('error', onConnectionError);
    session.once('close', () => {
      sessions.delete(session);
      settleClose();
    });
    if (closing) session.close();
  });
  server.on('tlsClientError', (err: Error, socket: Duplex) => {
    onConnectionError(err);
    socket.destroy();
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const refusal = refuseNonGrpc(headers);
    if (refusal !== undefined) {
      stream.on('error', () => {});
      if (!stream.destroyed) {
        stream.respond(refusal, { endStream: true });
        stopUnreadRequest(stream);
      }
      stream.resume();
      return;
    }
    const path = headers[':path'] ?? '';
    const call = new ServerCall(stream, path);
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string' && !call.startDeadline(timeout)) return;
    const route = routes.get(path);
    if (route === undefined) call.end(Status.UNIMPLEMENTED, `the plugin server does not implement ${path}`);
    else route(call, headers);
  });

  return {
    accept(socket) {
      if (closing) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      server.emit('connection', socket);
      // The listener accepts with pauseOnConnect. TLS starts reading by itself; a plaintext HTTP/2 session consumes
      // the socket's handle as it is, so the socket must be resumed (after the session owns it, so no byte is lost
      // to the JS stream).
      if (tls === undefined && (socket as Duplex & { isPaused(): boolean }).isPaused()) socket.resume();
    },
    register(methods) {
      for (const entry of methods) {
        routes.set(methodPath(entry.method), 'unary' in entry ? unaryRoute(entry.method, entry.unary) : streamRoute(entry.method, entry.serverStream));
      }
    },
    close(done) {
      closing = true;
      whenClosed.push(done);
      for (const session of sessions) session.close();
      settleClose();
    },
    destroy() {
      closing = true;
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

function createHttp2Server(tls: TlsMaterial | undefined): http2.Http2Server | http2.Http2SecureServer {
  const common: http2.ServerOptions = {
    // Node refuses new streams once a session's buffered data passes this budget (10 MB by default), which a few
    // large plans in flight would reach: the per-call message limit (MAX_MESSAGE_BYTES, checked by grpc-call.ts) is
    // what bounds a call.
    maxSessionMemory: Number.MAX_SAFE_INTEGER,
    maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
  };
  if (tls === undefined) return http2.createServer(common);
  return http2.createSecureServer({
    ...common,
    key: tls.keyPem,
    cert: tls.certPem,
    // Terraform's self-signed certificate is the only trust anchor: a client certificate verifies only if it is that
    // one or was signed with its key, which Terraform alone holds.
    ca: [tls.clientCertPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
}

/** Headers that end a request which is not gRPC at all, the way grpc-go answers it; undefined for a gRPC request. */
function refuseNonGrpc(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders | undefined {
  const method = headers[':method'];
  if (method !== 'POST') {
    return earlyStatus(405, Status.INTERNAL, `gRPC requires POST, not ${String(method)}`);
  }
  const contentType = headers['content-type'];
  if (!isGrpcProto(contentType)) {
    return earlyStatus(415, Status.INVALID_ARGUMENT, `invalid gRPC request content-type ${JSON.stringify(contentType ?? '')}`);
  }
  return undefined;
}

/** `application/grpc`, `application/grpc+proto`, each with parameters or not: the protobuf codec, the only one here. */
function isGrpcProto(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const base = contentType.split(';', 1)[0].trim().toLowerCase();
  return base === 'application/grpc' || base === 'application/grpc+proto';
}

function earlyStatus(httpStatus: number, code: StatusCode, message: string): http2.OutgoingHttpHeaders {
  return { ':status': httpStatus, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
}

function unaryRoute(method: DescMethod, impl: UnaryImpl): Route {
  return (call, headers) =>
    call.receive(headers, (bytes) => {
      const request = decodeRequest(method, bytes, call);
      if (request === undefined) return;
      let answer: Buffer | Promise<Buffer>;
      try {
        answer = impl(callView(call, request));
      } catch (err) {
        call.fail(err);
        return;
      }
      if (answer instanceof Promise) answer.then((bytes) => call.reply(bytes), (err: unknown) => call.fail(err));
      else call.reply(answer);
    });
}

function streamRoute(method: DescMethod, impl: ServerStreamImpl): Route {
  return (call, headers) =>
    call.receive(headers, (bytes) => {
      const request = decodeRequest(method, bytes, call);
      if (request === undefined) return;
      call.open();
      try {
        impl({ ...callView(call, request), end: () => call.end(Status.OK) });
      } catch (err) {
        call.fail(err);
      }
    });
}

function callView(call: ServerCall, request: Message): UnaryCall {
  return {
    request,
    get signal() {
      return call.signal;
    },
    onAbort: (listener) => call.onAbort(listener),
  };
}

function decodeRequest(method: DescMethod, bytes: Buffer, call: ServerCall): Message | undefined {
  try {
    return fromBinary(method.input, bytes);
  } catch (err) {
    call.end(Status.INTERNAL, `cannot decode the ${method.name} request as ${method.input.typeName}: ${errorMessage(err)}`);
    return undefined;
  }
}

/** create() + toBinary() for a response given as an init shape; throws when the value does not fit the schema. */
export function encodeResponse<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc> | undefined): Buffer {
  return encodeMessage(schema, create(schema, init));
}
