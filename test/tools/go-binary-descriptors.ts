// Finds serialized google.protobuf.FileDescriptorProto messages embedded in a Go binary.
//
// protoc-gen-go stores each .proto file's descriptor in the binary as a raw byte string that
// starts with field 1 (name) and field 2 (package). We locate `0a <len> <name>` and then walk the
// top-level fields of FileDescriptorProto to find where the message ends (fields appear in
// ascending order; the first tag that is out of order or malformed ends it).
import { createFileRegistry, fromBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, file_google_protobuf_empty, file_google_protobuf_timestamp } from '@bufbuild/protobuf/wkt';

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] | undefined {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos + i + 1];
    shift += 7;
  }
  return undefined;
}

/** Length of the FileDescriptorProto starting at `start`, or 0 if it does not parse. */
function descriptorLength(buf: Uint8Array, start: number): number {
  let pos = start;
  let lastField = 0;
  for (;;) {
    const tag = readVarint(buf, pos);
    if (!tag) return pos - start;
    const [key, afterTag] = tag;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    // FileDescriptorProto uses fields 1..15; wire types 0 (varint) and 2 (length-delimited).
    if (field < 1 || field > 15 || field < lastField || (wire !== 0 && wire !== 2)) return pos - start;
    let next: number;
    if (wire === 0) {
      const v = readVarint(buf, afterTag);
      if (!v) return pos - start;
      next = v[1];
    } else {
      const len = readVarint(buf, afterTag);
      if (!len || len[1] + len[0] > buf.length) return pos - start;
      next = len[1] + len[0];
    }
    lastField = field;
    pos = next;
  }
}

/** Extracts the descriptor of `protoFileName` (e.g. "tfplugin6.proto") from a Go binary. */
export function extractFileDescriptor(binary: Uint8Array, protoFileName: string, packageName: string): DescFile | undefined {
  const name = Buffer.from(protoFileName, 'utf8');
  const pkg = Buffer.from(packageName, 'utf8');
  const needle = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x12, pkg.length]), pkg]);
  const hay = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength);
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    const length = descriptorLength(hay, at);
    if (length <= needle.length) continue;
    try {
      const proto = fromBinary(FileDescriptorProtoSchema, hay.subarray(at, at + length));
      if (proto.messageType.length === 0 && proto.service.length === 0) continue;
      const registry = createFileRegistry(proto, (dep) => {
        if (dep === 'google/protobuf/timestamp.proto') return file_google_protobuf_timestamp;
        if (dep === 'google/protobuf/empty.proto') return file_google_protobuf_empty;
        return undefined;
      });
      const file = registry.getFile(proto.name);
      if (file) return file;
    } catch {
      // Not a descriptor after all; keep looking.
    }
  }
  return undefined;
}
