// protobuf-es service descriptors → @grpc/grpc-js service definitions, so the gRPC server and
// clients use the same generated code as the pipeline, with binary (de)serialisation.
import {
  create,
  fromBinary,
  isMessage,
  toBinary,
  type DescMessage,
  type DescService,
  type MessageShape,
} from "@bufbuild/protobuf";
import { makeGenericClientConstructor, type MethodDefinition, type ServiceDefinition } from "@grpc/grpc-js";

/**
 * What a server's deserializer gives for bytes that are not a valid request, instead of
 * throwing: grpc-js answers a throwing deserializer with INTERNAL, and a malformed request is
 * the client's error (INVALID_ARGUMENT), which the handler gives once it sees this.
 */
export class MalformedRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

function methodDefinition<I extends DescMessage, O extends DescMessage>(
  service: DescService,
  name: string,
  input: I,
  output: O,
  kind: string,
): MethodDefinition<MessageShape<I>, MessageShape<O>> {
  return {
    path: `/${service.typeName}/${name}`,
    originalName: name,
    requestStream: kind === "client_streaming" || kind === "bidi_streaming",
    responseStream: kind === "server_streaming" || kind === "bidi_streaming",
    // Clients may pass either a message or its init shape (a plain object).
    requestSerialize: (msg) => Buffer.from(toBinary(input, isMessage(msg, input) ? msg : create(input, msg))),
    requestDeserialize: (buf) => {
      try {
        return fromBinary(input, buf);
      } catch (err) {
        return new MalformedRequest(input.typeName, (err as Error).message) as unknown as MessageShape<I>;
      }
    },
    responseSerialize: (msg) =>
      Buffer.from(toBinary(output, isMessage(msg, output) ? msg : create(output, msg))),
    responseDeserialize: (buf) => fromBinary(output, buf),
  };
}

/** The grpc-js definition of a protobuf-es service, keyed by the rpc's local (camelCase) name. */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>> = {};
  for (const m of service.methods) {
    def[m.localName] = methodDefinition(service, m.name, m.input, m.output, m.methodKind);
  }
  return def;
}

/** A grpc-js client class for the service (methods keyed by local name). */
export function grpcClientConstructor(service: DescService) {
  return makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
}
