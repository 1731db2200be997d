/**
 * A generic bridge from protobuf-es descriptors to grpc-js: method paths, message encoding and service definitions.
 * It knows nothing of any particular service; the controller's prewarm.v1 API builds its grpc-js definitions here,
 * and the provider's plugin server (provider/server/grpc-server.ts) takes its method paths and message encoding.
 */
import type * as grpc from '@grpc/grpc-js';
import { fromBinary, toBinary, type DescMessage, type DescMethod, type DescService, type Message } from '@bufbuild/protobuf';

/** The HTTP/2 path grpc uses for a method: `/prewarm.v1.Prewarm/PutTemplate`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** protobuf-es gives a Uint8Array view; grpc-js wants a Buffer. Wrap without copying. */
export function encodeMessage(schema: DescMessage, message: Message): Buffer {
  const bytes = toBinary(schema, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One generic definition per method: serialization comes from the descriptor, nothing is per-RPC. */
export function grpcMethodDefinition(method: DescMethod): grpc.MethodDefinition<Message, Message> {
  const streamsIn = method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming';
  const streamsOut = method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming';
  return {
    path: methodPath(method),
    originalName: method.name,
    requestStream: streamsIn,
    responseStream: streamsOut,
    requestSerialize: (value) => encodeMessage(method.input, value),
    requestDeserialize: (bytes) => fromBinary(method.input, bytes),
    responseSerialize: (value) => encodeMessage(method.output, value),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

/** A grpc-js ServiceDefinition keyed by each method's localName (`putTemplate`, …). */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition<grpc.UntypedServiceImplementation> {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) definition[method.localName] = grpcMethodDefinition(method);
  return definition;
}
