/**
 * gRPC's length-prefixed messages on an HTTP/2 stream: a 1-byte compressed flag, a 4-byte big-endian length, then the
 * message. A message may arrive split over any number of DATA chunks, and a chunk may hold several messages.
 */
import { RpcError, Status } from './grpc-status';

/** terraform-plugin-go's grpcMaxMessageSize; Terraform sends big schemas, states and plans. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export const PREFIX_BYTES = 5;

export interface FramedMessage {
  compressed: boolean;
  bytes: Buffer;
}

/** Cuts messages out of the chunks pushed into it; a message above the limit is refused from its prefix alone. */
export class MessageReader {
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixFill = 0;
  private compressed = false;
  /** The length of the message being read; -1 while reading a prefix. */
  private bodyLength = -1;
  private parts: Buffer[] = [];
  private partsBytes = 0;

  constructor(
    private readonly onMessage: (message: FramedMessage) => void,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  /** Throws RpcError: RESOURCE_EXHAUSTED for a message above the limit, INTERNAL for a malformed prefix. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLength < 0) {
        const take = Math.min(PREFIX_BYTES - this.prefixFill, chunk.length - offset);
        chunk.copy(this.prefix, this.prefixFill, offset, offset + take);
        this.prefixFill += take;
        offset += take;
        if (this.prefixFill < PREFIX_BYTES) return;
        this.startMessage();
        continue;
      }
      const take = Math.min(this.bodyLength - this.partsBytes, chunk.length - offset);
      // The chunks node hands out are not reused, so keeping views of them is safe and saves a copy.
      this.parts.push(chunk.subarray(offset, offset + take));
      this.partsBytes += take;
      offset += take;
      if (this.partsBytes === this.bodyLength) this.endMessage();
    }
  }

  /** At the end of the request: throws RpcError INTERNAL when it stopped inside a message. */
  finish(): void {
    if (this.prefixFill > 0 || this.bodyLength >= 0) {
      throw new RpcError(Status.INTERNAL, 'the request ended in the middle of a message');
    }
  }

  private startMessage(): void {
    this.prefixFill = 0;
    const flag = this.prefix[0];
    const length = this.prefix.readUInt32BE(1);
    if (flag > 1) throw new RpcError(Status.INTERNAL, `invalid message flag ${flag} (0 or 1 expected)`);
    if (length > this.maxBytes) {
      throw new RpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxBytes})`);
    }
    this.compressed = flag === 1;
    this.bodyLength = length;
    if (length === 0) this.endMessage();
  }

  private endMessage(): void {
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    this.bodyLength = -1;
    this.onMessage({ compressed: this.compressed, bytes });
  }
}

/** The prefix of an uncompressed message of `length` bytes. */
export function messagePrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}
