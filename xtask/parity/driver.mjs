#!/usr/bin/env node
// The TypeScript side of `cargo xtask parity`: runs one job on the official TypeScript SDK
// (@openai/codex-sdk 0.163.0) and prints what it observed as one JSON document on stdout.
//
//   node xtask/parity/driver.mjs <job.json>
//
// The twin of xtask/src/parity/driver.rs (`xtask __parity-driver`); both read the same job and
// print the same shape:
//
//   job:    {sdk, codexPath, mode: "streamed" | "run", codex: CodexOptions, thread: ThreadOptions,
//            turns: [{input, turn: TurnOptions, thread?: "resume_by_id",
//                     abort?: {after_events?: n, when_held?: true}}]}
//   output: {turns: [{events?: [...], result?: {items, finalResponse, usage},
//                     error: {category, message, exitCode, signal} | null, threadId}]}
//
// `codexPath` becomes `codexPathOverride`. Abort uses the SDK's own `signal`: after n events,
// or when the parent writes a line on stdin (it does once the mock holds the model's reply).
// Error categories: the SDK throws plain Errors, so they are told apart by their messages.

import fs from "node:fs";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { Codex } = await import(pathToFileURL(job.sdk).href);

function classify(error, mode) {
  const message = String(error?.message ?? error);
  if (error?.name === "AbortError") return { category: "aborted", message, exitCode: null, signal: null };
  const exited = /^Codex Exec exited with (?:code (\d+)|signal (\w+))/.exec(message);
  if (exited) {
    return {
      category: "process_exit",
      message,
      exitCode: exited[1] === undefined ? null : Number(exited[1]),
      signal: exited[2] ?? null,
    };
  }
  let category = "other";
  if (message.startsWith("Failed to parse item")) category = "protocol";
  else if (/^outputSchema must be|^Codex config override|^Unsupported Codex config/.test(message)) category = "invalid_options";
  else if (error?.code === "ENOENT" || error?.code === "EACCES") category = "spawn";
  // run() throws `new Error(turn.failed.error.message)`, nothing else distinguishes it.
  else if (mode === "run") category = "turn_failed";
  return { category, message, exitCode: null, signal: null };
}

// Lines on stdin: each one aborts the turn currently waiting for it.
const stdinWaiters = [];
readline.createInterface({ input: process.stdin }).on("line", () => {
  const waiter = stdinWaiters.shift();
  if (waiter) waiter();
});

const codex = new Codex({ ...job.codex, codexPathOverride: job.codexPath });
let thread = codex.startThread(job.thread);
const turns = [];
for (const spec of job.turns) {
  if (spec.thread === "resume_by_id") thread = codex.resumeThread(thread.id, job.thread);
  const turnOptions = { ...(spec.turn ?? {}) };
  const controller = new AbortController();
  if (spec.abort) turnOptions.signal = controller.signal;
  if (spec.abort?.when_held) stdinWaiters.push(() => controller.abort());
  const out = {};
  if (job.mode === "streamed") {
    out.events = [];
    out.error = null;
    try {
      const { events } = await thread.runStreamed(spec.input, turnOptions);
      for await (const event of events) {
        out.events.push(event);
        if (spec.abort?.after_events === out.events.length) controller.abort();
      }
    } catch (error) {
      out.error = classify(error, job.mode);
    }
  } else {
    try {
      out.result = await thread.run(spec.input, turnOptions);
      out.error = null;
    } catch (error) {
      out.error = classify(error, job.mode);
    }
  }
  out.threadId = thread.id;
  turns.push(out);
}

fs.writeSync(1, JSON.stringify({ turns }) + "\n");
process.exit(0);
