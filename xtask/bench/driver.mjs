#!/usr/bin/env node
// The TypeScript side of the stream benchmarks of `cargo xtask bench`: one turn of the official
// TypeScript SDK (@openai/codex-sdk 0.163.0) over the fake codex, in its own process.
//
//   node xtask/bench/driver.mjs <sdk dist/index.js> <stream|collect> <fake codex> <script>
//
// The twin of `bench-child` (xtask/src/bench/child.rs). `stream` drains
// `thread.runStreamed()`, counting events; `collect` awaits `thread.run()`. The fake codex gets
// its script through the SDK's `env` option, as on the Rust side. Prints
// {"events", "items", "stream_ms", "peak_rss_kib"}: `stream_ms` from just before the turn
// starts to its end (node's start-up and module loading excluded), and this process's peak
// resident set size (VmHWM in /proc/self/status, as the Rust side reads it).

import fs from "node:fs";
import { pathToFileURL } from "node:url";

const [sdk, role, fake, script] = process.argv.slice(2);
const { Codex } = await import(pathToFileURL(sdk).href);

function peakRssKib() {
  const match = /^VmHWM:\s*(\d+)\s*kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) : null;
}

const started = performance.now();
const codex = new Codex({ codexPathOverride: fake, env: { FAKE_CODEX_SCRIPT: script } });
const thread = codex.startThread();
let events = 0;
let items = 0;
if (role === "stream") {
  const { events: stream } = await thread.runStreamed("bench");
  for await (const _event of stream) events += 1;
} else if (role === "collect") {
  const turn = await thread.run("bench");
  items = turn.items.length;
} else {
  throw new Error(`unknown role ${role}`);
}
const streamMs = performance.now() - started;
console.log(JSON.stringify({ events, items, stream_ms: streamMs, peak_rss_kib: peakRssKib() }));
