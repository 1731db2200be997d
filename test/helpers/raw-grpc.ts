/** Calls a prewarm.v1 method with hand-built metadata and messages, bypassing the client's own checks. */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { encodeMessage, methodPath } from '../../controller/api/grpc-bridge';

/** `authorization` is sent as the header as given; undefined sends none. */
export function rawCall<I extends DescMessage, O extends DescMessage>(
  endpoint: string,
  method: DescMethod & { input: I; output: O },
  init: MessageInitShape<I>,
  authorization?: string,
): Promise<{ err: grpc.ServiceError | null; res?: MessageShape<O> }> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (authorization !== undefined) md.set('authorization', authorization);
  return new Promise((resolve) => {
    client.makeUnaryRequest<MessageShape<I>, MessageShape<O>>(
      methodPath(method),
      (v) => encodeMessage(method.input, v),
      (b) => fromBinary(method.output, b),
      create(method.input, init),
      md,
      { deadline: Date.now() + 10_000 },
      (err, res) => {
        client.close();
        resolve({ err, res });
      },
    );
  });
}
