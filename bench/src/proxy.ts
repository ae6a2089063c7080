// The cost of one hop: a minimal pass-through HTTP proxy (node:http in, undici keep-alive pool
// out), run as its own process: `node proxy.js <port> <target origin>`.
import { createServer } from "node:http";
import { Agent, request } from "undici";

const port = Number(process.argv[2]);
const target = process.argv[3] ?? "";
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    request(`${target}${req.url ?? "/"}`, {
      method: (req.method ?? "GET") as "GET" | "POST",
      headers: {
        "content-type": req.headers["content-type"] ?? "application/json",
        authorization: req.headers.authorization ?? "",
      },
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      dispatcher: agent,
    }).then(
      async (up) => {
        res.writeHead(up.statusCode, {
          "content-type": String(up.headers["content-type"] ?? "application/json"),
        });
        for await (const chunk of up.body) res.write(chunk);
        res.end();
      },
      (err: unknown) => res.writeHead(502).end(String(err)),
    );
  });
}).listen(port, "127.0.0.1", () => console.log(`proxy listening on ${port}`)).keepAliveTimeout = 65_000;
