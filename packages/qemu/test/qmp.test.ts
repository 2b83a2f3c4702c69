import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { QmpClient, QmpError } from "@handoff/qemu";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "@handoff/test-support";

const GREETING = JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 } }, capabilities: [] } });

/** A scripted QMP peer: answers each command line with what `reply` returns (strings are sent raw). */
function peer(reply: (cmd: { execute: string; arguments?: Record<string, unknown> }, socket: Socket) => string | undefined, greeting = GREETING) {
  const path = join(tempDir("qmp-peer-"), "s");
  const server = createServer((socket) => {
    socket.write(greeting + "\r\n");
    let buf = "";
    socket.on("data", (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const out = reply(JSON.parse(line), socket);
        if (out !== undefined) socket.write(out + "\r\n");
      }
    });
  });
  server.listen(path);
  servers.push(server);
  return path;
}
const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe("QmpClient against a scripted peer", () => {
  it("negotiates, collects events, returns HMP text with CRLF normalised, maps errors", async () => {
    const path = peer((c) => {
      if (c.execute === "qmp_capabilities") return JSON.stringify({ return: {} });
      if (c.execute === "stop") return JSON.stringify({ event: "STOP", data: {} }) + "\r\n" + JSON.stringify({ return: {} });
      if (c.execute === "human-monitor-command") return JSON.stringify({ return: `ran ${c.arguments!["command-line"]}\r\nline2\r\n` });
      return JSON.stringify({ error: { class: "CommandNotFound", desc: `The command ${c.execute} has not been found` } });
    });
    const q = await QmpClient.connect(path, { timeoutMs: 2000 });
    expect(q.version).toBe("7.2.22");
    await q.stop();
    expect(q.events.map((e) => e.event)).toEqual(["STOP"]);
    expect(await q.hmp("info registers")).toBe("ran info registers\nline2\n");
    const err = await q.execute("bogus").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect(err).toMatchObject({ errorClass: "CommandNotFound" });
    q.close();
  });

  it("a peer that answers garbage fails every pending command with a typed error", async () => {
    const path = peer((c) => (c.execute === "qmp_capabilities" ? JSON.stringify({ return: {} }) : "this is not json"));
    const q = await QmpClient.connect(path, { timeoutMs: 2000 });
    await expect(q.execute("query-status")).rejects.toThrow(/not JSON/);
    await expect(q.execute("query-status")).rejects.toBeInstanceOf(QmpError);
    q.close();
  });

  it("a lost answer times out, and the stream is not trusted afterwards", async () => {
    const path = peer((c) => (c.execute === "qmp_capabilities" ? JSON.stringify({ return: {} }) : undefined));
    const q = await QmpClient.connect(path, { timeoutMs: 2000 });
    await expect(q.execute("query-status", undefined, 200)).rejects.toThrow(/no answer within 200 ms/);
    await expect(q.execute("query-status")).rejects.toThrow(/lost/);
    q.close();
  });

  it("a peer that closes the socket rejects with a typed error; no socket at all times out", async () => {
    const path = peer((c, s) => (c.execute === "qmp_capabilities" ? JSON.stringify({ return: {} }) : void s.destroy()));
    const q = await QmpClient.connect(path, { timeoutMs: 2000 });
    await expect(q.execute("stop")).rejects.toThrow(/closed/);
    await expect(QmpClient.connect(join(tempDir("qmp-none-"), "no-such-qmp-socket"), { timeoutMs: 300 })).rejects.toThrow(/no QMP socket/);
  });
});
