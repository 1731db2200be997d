/**
 * One HTTP request to someone else's server (a webhook receiver, an http driver's platform), bounded in every
 * direction: a fresh connection each time, refused before anything is sent when it would reach this controller's
 * own ports, no redirects followed, a timeout on the controller's clock, and at most `maxBodyBytes` of answer read.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Clock } from '../clock/clock';
import { connectedToOwnPort, guardedLookup, networkError } from './outbound';

export interface ExchangeRequest {
  method: 'POST' | 'GET';
  url: URL;
  headers: Record<string, string>;
  /** Sent as is (POST); none for GET. */
  body?: string;
  timeoutMs: number;
  clock: Clock;
  ownPorts: () => readonly number[];
  /** Ends the request at once (a deadline, a kill, the caller's signal). */
  signal?: AbortSignal;
  maxBodyBytes: number;
}

export type ExchangeResult =
  | {
      kind: 'answered';
      status: number;
      headers: http.IncomingHttpHeaders;
      /** The first `maxBodyBytes` of the answer (nothing for a redirect, which is never read). */
      body: Buffer;
      /** More than `maxBodyBytes` came; the connection was dropped. */
      overflowed: boolean;
    }
  | {
      kind: 'failed';
      /** network: no (complete) answer; refused: it would have reached this controller; timeout; aborted. */
      why: 'network' | 'refused' | 'timeout' | 'aborted';
      error: string;
      /** The status, when the answer's head had arrived before the failure. */
      status: number | null;
    };

/** Sends one request; never rejects. */
export function exchange(req: ExchangeRequest): Promise<ExchangeResult> {
  const transport = req.url.protocol === 'https:' ? https : http;
  return new Promise<ExchangeResult>((resolve) => {
    let done = false;
    let status: number | null = null;
    let request: http.ClientRequest | undefined;
    const finish = (result: ExchangeResult) => {
      if (done) return;
      done = true;
      timer.cancel();
      req.signal?.removeEventListener('abort', onAbort);
      request?.destroy();
      resolve(result);
    };
    const failed = (why: Extract<ExchangeResult, { kind: 'failed' }>['why'], error: string) => finish({ kind: 'failed', why, error, status });
    const onAbort = () => failed('aborted', 'aborted');
    const timer = req.clock.setTimer(req.timeoutMs, () => failed('timeout', 'timed out'));
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const headers = { ...req.headers, ...(req.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(req.body)) } : {}) };
    try {
      // agent: false for a fresh connection each time, so the own-port checks see every connection and a stale
      // keep-alive socket cannot fail a request that never left.
      request = transport.request(req.url, { method: req.method, headers, agent: false, lookup: guardedLookup(req.url, req.ownPorts) });
    } catch (err) {
      return failed('network', (err as Error).message);
    }
    request.on('socket', (socket: Socket) => {
      // Nothing is written before the peer is known not to be this controller (a literal address skips the lookup).
      const check = () => {
        if (done) return;
        const refusal = connectedToOwnPort(socket, req.url, req.ownPorts);
        if (refusal) return failed('refused', refusal);
        request?.end(req.body);
      };
      if (socket.connecting) socket.once('connect', check);
      else check();
    });
    request.on('response', (res) => {
      const code = res.statusCode ?? 0;
      status = code;
      if (code >= 300 && code < 400) return finish({ kind: 'answered', status: code, headers: res.headers, body: Buffer.alloc(0), overflowed: false });
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        if (size + chunk.length > req.maxBodyBytes) {
          chunks.push(chunk.subarray(0, req.maxBodyBytes - size));
          return finish({ kind: 'answered', status: code, headers: res.headers, body: Buffer.concat(chunks), overflowed: true });
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish({ kind: 'answered', status: code, headers: res.headers, body: Buffer.concat(chunks), overflowed: false }));
      // A body cut short cannot be trusted (attributes half sent): a failure, whose `status` says an answer had begun.
      res.on('error', () => failed('network', `the connection broke while reading the HTTP ${code} answer`));
      res.on('close', () => failed('network', `the connection closed before the whole HTTP ${code} answer arrived`));
    });
    request.on('error', (err) => {
      const e = err as NodeJS.ErrnoException;
      failed(e.code === 'EOWNPORT' ? 'refused' : 'network', networkError(e, req.url));
    });
  });
}
