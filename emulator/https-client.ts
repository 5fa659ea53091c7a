import * as https from "node:https";

export interface TextResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTPS request with its whole answer as text: the emulator's admin client, its tests and the benchmarks talk to
 * it through this (the agent carries the emulator's CA and keeps connections alive).
 */
export function requestText(
  agent: https.Agent,
  method: string,
  url: string,
  headers: Record<string, string | number> = {},
  body?: string,
): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
