/**
 * A raw HTTP/2 client for the gRPC layer's tests: builds length-prefixed requests by hand (so a test can split them,
 * mislabel them or send too many) and reads back headers, messages and trailers exactly as the server sent them.
 * Also serves an RpcServer on a loopback TCP port the way the plugin's listener does (paused sockets, handed over).
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { RpcServer } from '../../../../provider/server/grpc-server';

export interface Served {
  port: number;
  connect(): http2.ClientHttp2Session;
  close(): Promise<void>;
}

/** Serves `rpc` on 127.0.0.1 (plaintext), accepting like listener.ts: paused, then handed to rpc.accept. */
export async function serveOnLoopback(rpc: RpcServer): Promise<Served> {
  const server = net.createServer({ pauseOnConnect: true }, (socket) => rpc.accept(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const sessions: http2.ClientHttp2Session[] = [];
  return {
    port,
    connect() {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      sessions.push(session);
      return session;
    },
    async close() {
      for (const s of sessions) s.destroy();
      rpc.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A message with its 5-byte prefix; `flag` 1 marks it compressed. */
export function frame(message: Uint8Array, flag = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = flag;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export interface RawAnswer {
  headers: http2.IncomingHttpHeaders;
  /** The response body as received: prefixes included. */
  body: Buffer;
  /** Undefined for a Trailers-Only answer (the status is then in `headers`). */
  trailers: http2.IncomingHttpHeaders | undefined;
  /** grpc-status, wherever it came; undefined when the stream ended without one (reset, or the connection lost). */
  code: number | undefined;
  /** grpc-message as sent (still percent-encoded). */
  rawMessage: string | undefined;
}

export interface RawRequest {
  path: string;
  /** Written one at a time, with a turn of the event loop between them (so they travel as separate DATA frames). */
  chunks?: Buffer[];
  headers?: http2.OutgoingHttpHeaders;
  /** Default true: END_STREAM after the chunks. */
  end?: boolean;
  /**
   * Default true: once the answer is complete, reset the stream with NO_ERROR as gRPC clients do. False leaves the
   * request side open, like a client still uploading: only the server can then close the stream.
   */
  closeWhenAnswered?: boolean;
}

/** Sends a request; `started` gets the client stream (to cancel it); resolves once the stream is over. */
export function rawCall(session: http2.ClientHttp2Session, request: RawRequest, started?: (stream: http2.ClientHttp2Stream) => void): Promise<RawAnswer> {
  const stream = session.request({
    ':method': 'POST',
    ':path': request.path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...request.headers,
  });
  stream.on('error', () => {});
  started?.(stream);
  return new Promise((resolve) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const parts: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => {
      // The answer is complete: like a gRPC client, stop sending whatever of the request is left.
      if ((request.closeWhenAnswered ?? true) && !stream.closed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    stream.on('close', () => {
      const status = trailers ?? headers;
      const code = status['grpc-status'];
      resolve({
        headers,
        body: Buffer.concat(parts),
        trailers,
        code: code === undefined ? undefined : Number(code),
        rawMessage: status['grpc-message'] as string | undefined,
      });
    });
    void (async () => {
      for (const chunk of request.chunks ?? []) {
        if (stream.destroyed) return;
        stream.write(chunk);
        await new Promise((r) => setTimeout(r, 1));
      }
      if (request.end ?? true) stream.end();
    })();
  });
}

/** The messages of a response body. */
export function messagesOf<Desc extends DescMessage>(schema: Desc, body: Buffer): Array<MessageShape<Desc>> {
  const out: Array<MessageShape<Desc>> = [];
  let at = 0;
  while (at < body.length) {
    const length = body.readUInt32BE(at + 1);
    out.push(fromBinary(schema, body.subarray(at + 5, at + 5 + length)));
    at += 5 + length;
  }
  return out;
}

/** Splits `bytes` into pieces of `size` bytes (the last one shorter). */
export function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}
