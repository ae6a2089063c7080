// Generated protobuf-es code (see buf.gen.yaml); regenerate with `npm run proto:generate`.
export * from "./gen/switchyard/v1/chat_pb.js";
export * from "./gen/switchyard/v1/embeddings_pb.js";
export * from "./gen/switchyard/v1/models_pb.js";
export * from "./gen/switchyard/v1/batches_pb.js";
export * from "./gen/switchyard/v1/chains_pb.js";
export * from "./gen/switchyard/v1/gateway_pb.js";
export * from "./gen/switchyard/pipeline/v1/envelope_pb.js";
export * from "./gen/switchyard/pipeline/v1/error_pb.js";
export * from "./gen/switchyard/pipeline/v1/reply_pb.js";
export * from "./gen/switchyard/pipeline/v1/stream_pb.js";
export * from "./gen/switchyard/pipeline/v1/events_pb.js";
export * from "./gen/switchyard/pipeline/v1/keys_pb.js";
export * from "./gen/switchyard/pipeline/v1/route_stats_pb.js";
export { file_grpc_health_v1_health } from "./gen/grpc/health/v1/health_pb.js";
