// Server reflection for grpcurl and friends, fed from the descriptors protobuf-es already
// embeds in the generated code (no .proto files needed at run time).
import type { DescFile } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";

function withDependencies(file: DescFile, seen = new Map<string, DescFile>()): Map<string, DescFile> {
  if (seen.has(file.name)) return seen;
  seen.set(file.name, file);
  for (const dep of file.dependencies) withDependencies(dep, seen);
  return seen;
}

export function addReflection(server: Server, files: DescFile[]): void {
  const all = new Map<string, DescFile>();
  for (const f of files) withDependencies(f, all);
  const fileDescriptorProtos = [...all.values()].map((f) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)),
  );
  // @grpc/reflection reads only `fileDescriptorProtos` from each entry of the package definition.
  const packageDefinition = { switchyard: { fileDescriptorProtos } } as unknown as ConstructorParameters<
    typeof ReflectionService
  >[0];
  new ReflectionService(packageDefinition).addToServer(server);
}
