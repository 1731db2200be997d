/**
 * One gRPC call on one HTTP/2 stream: reads the single request message, keeps the deadline, turns the client going
 * away into an aborted signal, and answers exactly once: one message and status OK, or a status alone (Trailers-Only,
 * when no headers are out yet), or an open stream that is ended later.
 */
import { constants as http2Constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { MAX_MESSAGE_BYTES, MessageReader, messagePrefix, PREFIX_BYTES, type FramedMessage } from './grpc-framing';
import { encodeGrpcMessage, RpcError, Status, type StatusCode } from './grpc-status';
import { parseGrpcTimeout } from './grpc-timeout';

/** Below this a response message is copied behind its prefix into one buffer; above, both are written as they are. */
const COPY_BELOW_BYTES = 64 * 1024;

const noop = () => {};

export class ServerCall {
  /** Made on first use of `signal`: most calls end without anyone asking, and the plan walk makes hundreds of them. */
  private controller: AbortController | undefined;
  private abortReason: RpcError | undefined;
  private readonly abortListeners: Array<(reason: RpcError) => void> = [];
  private finished = false;
  private reading = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly path: string,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {
    // A stream the client resets can still report an error on a late write; the 'close' below covers it.
    stream.on('error', noop);
    stream.once('close', () => {
      clearTimeout(this.timer);
      if (this.finished) return;
      this.finished = true;
      this.abort(new RpcError(Status.CANCELLED, 'the client cancelled the call or its connection closed'));
    });
  }

  /** Aborted when the client cancels, the connection goes or the deadline passes; the reason is an RpcError. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** `listener` runs when the call is aborted (as `signal` would fire), unless `forget` has been called first. */
  onAbort(listener: (reason: RpcError) => void): () => void {
    this.abortListeners.push(listener);
    return () => {
      const at = this.abortListeners.indexOf(listener);
      if (at >= 0) this.abortListeners.splice(at, 1);
    };
  }

  /** True once an answer (or the client's cancellation) has settled the call. */
  get done(): boolean {
    return this.finished;
  }

  /** Starts the clock of a `grpc-timeout` header; false (and the call answered INTERNAL) when it is malformed. */
  startDeadline(header: string): boolean {
    const ms = parseGrpcTimeout(header);
    if (ms === undefined) {
      this.end(Status.INTERNAL, `invalid grpc-timeout value ${JSON.stringify(header)}`);
      return false;
    }
    if (ms === Infinity) return true;
    this.timer = setTimeout(() => {
      if (this.finished) return;
      // Abort first: the answer below settles the call, after which the signal is left alone.
      this.abort(new RpcError(Status.DEADLINE_EXCEEDED, `the call's deadline (${header}) passed`));
      this.end(Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    }, ms);
    return true;
  }

  /**
   * Reads the request to its end and hands over its one message. Anything else answers the call instead: a message
   * above the limit (RESOURCE_EXHAUSTED, as soon as its prefix is in), compressed with an encoding this server does
   * not have (UNIMPLEMENTED), or not exactly one message (INTERNAL, as grpc-go answers such a cardinality violation:
   * it is the client's fault, not a method this server lacks).
   */
  receive(headers: IncomingHttpHeaders, onRequest: (message: Buffer) => void): void {
    let first: FramedMessage | undefined;
    let count = 0;
    const reader = new MessageReader((message) => {
      count++;
      if (count > 1) throw new RpcError(Status.INTERNAL, `the request of ${this.path} has more than one message`);
      if (message.compressed) throw compressionError(headers['grpc-encoding']);
      first = message;
    }, this.maxMessageBytes);
    this.reading = true;
    this.stream.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      try {
        reader.push(chunk);
      } catch (err) {
        this.fail(err);
      }
    });
    this.stream.once('end', () => {
      if (this.finished) return;
      try {
        reader.finish();
        if (first === undefined) throw new RpcError(Status.INTERNAL, `the request of ${this.path} has no message`);
      } catch (err) {
        this.fail(err);
        return;
      }
      onRequest(first.bytes);
    });
  }

  /** Answers with one message and status OK. */
  reply(message: Buffer): void {
    if (this.finished) return;
    if (message.length > MAX_MESSAGE_BYTES) {
      this.end(Status.RESOURCE_EXHAUSTED, `response message larger than max (${message.length} vs. ${MAX_MESSAGE_BYTES})`);
      return;
    }
    if (!this.settle()) return;
    const stream = this.stream;
    if (!stream.headersSent) stream.respond(responseHeaders(), { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    if (message.length < COPY_BELOW_BYTES) {
      stream.end(Buffer.concat([messagePrefix(message.length), message], PREFIX_BYTES + message.length));
    } else {
      stream.cork();
      stream.write(messagePrefix(message.length));
      stream.write(message);
      stream.uncork();
      stream.end();
    }
  }

  /** Sends the response headers of a server stream that stays open until end(). */
  open(): void {
    if (this.finished || this.stream.headersSent || this.stream.destroyed) return;
    this.stream.respond(responseHeaders(), { waitForTrailers: true });
  }

  /** Answers with a status: in trailers after headers already sent, else Trailers-Only (headers that end the stream). */
  end(code: StatusCode, message = ''): void {
    if (!this.settle()) return;
    const stream = this.stream;
    const status: Record<string, string> = { 'grpc-status': String(code) };
    if (message !== '') status['grpc-message'] = encodeGrpcMessage(message);
    if (stream.headersSent) {
      stream.once('wantTrailers', () => {
        stream.sendTrailers(status);
        stopUnreadRequest(stream);
      });
      stream.end();
    } else {
      stream.respond({ ...responseHeaders(), ...status }, { endStream: true });
      stopUnreadRequest(stream);
    }
  }

  /** Answers with an RpcError's status; anything else thrown is UNKNOWN, as gRPC servers report a plain error. */
  fail(err: unknown): void {
    if (err instanceof RpcError) this.end(err.code, err.message);
    else this.end(Status.UNKNOWN, err instanceof Error ? err.message : String(err));
  }

  private abort(reason: RpcError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    for (const listener of this.abortListeners.splice(0)) listener(reason);
  }

  /** Marks the call answered; false when it already was or its stream can no longer carry an answer. */
  private settle(): boolean {
    if (this.finished) return false;
    this.finished = true;
    clearTimeout(this.timer);
    // Whatever of the request is still unread is dropped, so the connection's flow-control window keeps moving.
    if (!this.reading) this.stream.resume();
    return !this.stream.destroyed && !this.stream.closed;
  }
}

/**
 * An answer sent before the client finished its request (an oversize message, a deadline, an unknown method) closes
 * only the server's half of the stream: the stream, and with it a graceful close of the session, would stay open
 * until the client sends the rest. RST_STREAM with NO_ERROR after a complete response asks the client to stop sending
 * without making the answer an error; node holds it back until the status already queued has gone out.
 */
export function stopUnreadRequest(stream: ServerHttp2Stream): void {
  if (!stream.readableEnded) stream.close(http2Constants.NGHTTP2_NO_ERROR);
}

function responseHeaders(): Record<string, string | number> {
  return { ':status': 200, 'content-type': 'application/grpc' };
}

function compressionError(encoding: string | string[] | undefined): RpcError {
  const name = Array.isArray(encoding) ? encoding.join(',') : encoding;
  if (name === undefined || name === 'identity') {
    return new RpcError(Status.INTERNAL, 'a message is marked compressed but the request names no grpc-encoding');
  }
  return new RpcError(Status.UNIMPLEMENTED, `grpc-encoding ${JSON.stringify(name)} is not supported (identity only)`);
}
