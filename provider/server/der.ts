/**
 * The handful of ASN.1 DER encodings an X.509 certificate needs (X.690 §8 and §10), nothing more: the plugin
 * generates its TLS certificate on every start, and a certificate library would cost more start-up time than the
 * whole handshake is allowed.
 */

/** Tag numbers (universal class) and the two context-specific forms used by certificates. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag, length (short or long definite form), contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
  const n = contents.length;
  let header: Buffer;
  if (n < 0x80) {
    header = Buffer.from([tag, n]);
  } else {
    const lengthBytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest & 0xff);
    header = Buffer.from([tag, 0x80 | lengthBytes.length, ...lengthBytes]);
  }
  return Buffer.concat([header, contents]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/** SET OF with a single member needs no sorting; that is all a Name uses here. */
export function set(item: Uint8Array): Buffer {
  return tlv(Tag.SET, item);
}

/** `[n] EXPLICIT` wrapper (constructed, context-specific). */
export function explicit(n: number, inner: Uint8Array): Buffer {
  return tlv(0xa0 | n, inner);
}

/** `[n] IMPLICIT` primitive (context-specific), e.g. GeneralName dNSName [2] and iPAddress [7]. */
export function implicitPrimitive(n: number, contents: Uint8Array): Buffer {
  return tlv(0x80 | n, contents);
}

export function boolean(value: boolean): Buffer {
  return tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

/** INTEGER from unsigned big-endian magnitude bytes: minimal length, a 0x00 prefix when the top bit is set. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const bytes = Buffer.from(magnitude.subarray(start));
  if (bytes.length === 0) return tlv(Tag.INTEGER, Buffer.from([0]));
  return tlv(Tag.INTEGER, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`smallInteger: ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return unsignedInteger(Uint8Array.from(bytes));
}

/** OBJECT IDENTIFIER from dotted text ("1.2.840.10045.4.3.2"). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((part) => {
    if (!/^\d+$/.test(part)) throw new Error(`bad OID ${dotted}`);
    return Number(part);
  });
  if (arcs.length < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  const pushArc = (value: number) => {
    const groups: number[] = [value & 0x7f];
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    out.push(...groups);
  };
  pushArc(arcs[0] * 40 + arcs[1]);
  for (const arc of arcs.slice(2)) pushArc(arc);
  return tlv(Tag.OID, Uint8Array.from(out));
}

export function utf8String(text: string): Buffer {
  return tlv(Tag.UTF8_STRING, Buffer.from(text, 'utf8'));
}

export function ia5(text: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new Error(`not IA5: ${text}`);
  return Buffer.from(text, 'latin1');
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, bytes);
}

/** BIT STRING holding whole bytes (keys, signatures): zero unused bits. */
export function bitStringBytes(bytes: Uint8Array): Buffer {
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([0]), bytes]));
}

/**
 * BIT STRING for a NamedBitList (KeyUsage): bit 0 is the most significant bit of the first byte; DER drops
 * trailing zero bits and records how many bits of the last byte are unused.
 */
export function namedBits(bitNumbers: number[]): Buffer {
  if (bitNumbers.length === 0) return tlv(Tag.BIT_STRING, Buffer.from([0]));
  const highest = Math.max(...bitNumbers);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bitNumbers) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unused]), bytes]));
}

/**
 * RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050; always
 * UTC with whole seconds.
 */
export function time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  const two = (n: number) => String(n).padStart(2, '0');
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(Tag.UTC_TIME, Buffer.from(`${two(y % 100)}${rest}`, 'latin1'));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'latin1'));
}
