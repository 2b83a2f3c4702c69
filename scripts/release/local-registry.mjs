#!/usr/bin/env node
// A throwaway npm registry (Verdaccio) on loopback for the release test.
//
//   node scripts/release/local-registry.mjs DIR
//
// Serves http://127.0.0.1:<free port>/ with its storage, config and users under
// DIR/registry, no uplinks (it serves only what is published to it), and prints one
// JSON line {"url": ...} on stdout once it listens. It lives exactly as long as its
// stdin: when the parent closes it, exits or is killed, the pipe ends and this
// process closes the server and removes DIR entirely, so neither the registry nor
// the test's files outlive the test, whatever happened to the test.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runServer } from "verdaccio";

const [dirArg] = process.argv.slice(2);
if (!dirArg) {
  console.error("usage: local-registry.mjs DIR");
  process.exit(2);
}
const dir = resolve(dirArg);
const home = join(dir, "registry");
mkdirSync(home, { recursive: true });
const configFile = join(home, "config.yaml");
// Relative paths in a Verdaccio config are resolved against the config's folder.
writeFileSync(
  configFile,
  [
    "storage: ./storage",
    "auth:",
    "  htpasswd:",
    "    file: ./htpasswd",
    "    max_users: 10",
    "uplinks: {}",
    // Verdaccio's default 10mb refuses koffi (8.6 MB tarball, base64 in the publish body): the registry
    // is seeded with every third-party package ours need, prebuilt FFI binaries included.
    "max_body_size: 100mb",
    "packages:",
    "  '**':",
    "    access: $all",
    "    publish: $authenticated",
    "    unpublish: $authenticated",
    "web:",
    "  enable: false",
    "log: { type: stdout, format: pretty, level: error }",
    "",
  ].join("\n"),
);

let server;
let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  const done = () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  if (!server) return done();
  server.close(done);
  // Keep-alive sockets from npm can hold close() open; do not wait for them.
  server.closeAllConnections?.();
  setTimeout(done, 2000).unref();
}

process.stdin.on("end", () => stop(0));
process.stdin.on("close", () => stop(0));
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => stop(0));

try {
  server = await runServer(configFile);
  // Never drop an idle keep-alive socket: a client reusing it at that instant sees
  // "other side closed". Clients close their own idle sockets; stop() closes the rest.
  server.keepAliveTimeout = 0;
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/` })}\n`);
  });
  server.on("error", (e) => {
    console.error(`local registry: ${e.message}`);
    stop(1);
  });
} catch (e) {
  console.error(`local registry: ${e instanceof Error ? e.message : String(e)}`);
  stop(1);
}
