/**
 * The grpc-js side of the server: one grpc-js Server with Terraform-sized message limits, fed connections that the
 * plugin's own listener accepted (see listener.ts), plus the glue that turns protobuf-es method descriptors into
 * grpc-js registrations. Loaded after the handshake line is out: grpc-js is the largest part of start-up.
 */
import * as grpc from '@grpc/grpc-js';
import { create, type DescMessage, type DescMethod, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { encodeMessage, grpcMethodDefinition } from '../../controller/api/grpc-bridge';

/** terraform-plugin-go's grpcMaxMessageSize; Terraform sends big schemas, states and plans. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface TlsMaterial {
  /** PEM of the certificate Terraform sent in PLUGIN_CLIENT_CERT: the only client accepted. */
  clientCertPem: string;
  certPem: string;
  keyPem: string;
}

export interface RpcServer {
  server: grpc.Server;
  /** Hands an accepted connection to grpc-js (TLS, HTTP/2 and everything above happen there). */
  accept(socket: import('node:stream').Duplex): void;
}

/**
 * mTLS when `tls` is given: grpc-js requires and verifies the client certificate against Terraform's (node's TLS
 * server, TLS 1.2+, ALPN h2 from http2.createSecureServer); plaintext otherwise (TF_DISABLE_PLUGIN_TLS, reattach).
 */
export function createRpcServer(tls: TlsMaterial | undefined): RpcServer {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // Nothing reads channelz here (its admin service cannot even load from a bundle); skip the bookkeeping.
    'grpc.enable_channelz': 0,
  });
  const credentials =
    tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(
          Buffer.from(tls.clientCertPem),
          [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }],
          true,
        );
  const injector = server.createConnectionInjector(credentials);
  return {
    server,
    accept(socket) {
      injector.injectConnection(socket);
      // The listener accepts with pauseOnConnect. TLS starts reading by itself; a plaintext HTTP/2 session consumes
      // the socket's handle as it is, so the socket must be resumed (after the session owns it, so no byte is lost
      // to the JS stream).
      if (tls === undefined && socket.isPaused()) socket.resume();
    },
  };
}

/** A unary implementation: gets the decoded request, answers with already-encoded bytes (or a gRPC status). */
export type UnaryImpl = (call: grpc.ServerUnaryCall<Message, Buffer>, callback: grpc.sendUnaryData<Buffer>) => void;
export type ServerStreamImpl = (call: grpc.ServerWritableStream<Message, Buffer>) => void;

/**
 * Registers the given methods of one service. Requests are decoded by protobuf-es (the generic definition in grpc-bridge.ts);
 * responses are encoded by the implementation itself (encodeResponse), so a response that cannot be encoded is the
 * implementation's error to report rather than a bare INTERNAL from grpc-js. Methods left out answer UNIMPLEMENTED.
 */
export function registerMethods(
  server: grpc.Server,
  methods: ReadonlyArray<{ method: DescMethod; impl: UnaryImpl | ServerStreamImpl }>,
): void {
  const definition: Record<string, grpc.MethodDefinition<Message, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const { method, impl } of methods) {
    const generic = grpcMethodDefinition(method);
    // The response side carries bytes already encoded by the implementation (see encodeResponse).
    definition[method.localName] = { ...generic, responseSerialize: (bytes: Buffer) => bytes, responseDeserialize: (bytes: Buffer) => bytes };
    implementation[method.localName] = impl as grpc.UntypedHandleCall;
  }
  server.addService(definition as grpc.ServiceDefinition, implementation);
}

/** create() + toBinary() for a response given as an init shape; throws when the value does not fit the schema. */
export function encodeResponse<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc> | undefined): Buffer {
  return encodeMessage(schema, create(schema, init));
}

export const Status = grpc.status;
