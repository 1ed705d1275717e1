// Cold start of the stdio MCP server: process spawn → `initialize` answered → `tools/list` answered, N runs each for
// the Native AOT binary and the same server on the JIT (dotnet Whim.WhimMcp.dll). Prints median and p90 in ms.
//   node bench.mjs --aot <path to whim-mcp binary> --jit <path to Whim.WhimMcp.dll> [--runs 10]
import { spawn } from "node:child_process";

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 ? argv[i + 1] : d; };
const runs = Number(opt("runs", "10"));

function once(command, args) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"], env: { ...process.env, WHIM_ROOT: "/tmp/whim-mcp-bench", Logging__LogLevel__Default: "Warning" } });
    let buffer = "";
    let initialized;
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (message.id === 1) {
          initialized = Number(process.hrtime.bigint() - start) / 1e6;
          child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
          child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n");
        } else if (message.id === 2) {
          const listed = Number(process.hrtime.bigint() - start) / 1e6;
          child.kill("SIGTERM");
          resolve({ initialized, listed, tools: message.result.tools.length });
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => { if (initialized === undefined) reject(new Error(`${command} exited with ${code} before answering`)); });
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } } }) + "\n");
  });
}

const pct = (values, p) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
async function measure(label, command, args) {
  await once(command, args); // warm the page cache: "cold" means a new process, not a cold disk
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(command, args));
  const init = results.map((r) => r.initialized);
  const list = results.map((r) => r.listed);
  console.log(`${label.padEnd(5)} initialize median ${pct(init, 0.5).toFixed(1)} ms p90 ${pct(init, 0.9).toFixed(1)} ms | +tools/list (${results[0].tools} tools) median ${pct(list, 0.5).toFixed(1)} ms p90 ${pct(list, 0.9).toFixed(1)} ms`);
  return pct(list, 0.5);
}

const aot = await measure("AOT", opt("aot"), []);
const jit = opt("jit") ? await measure("JIT", "dotnet", [opt("jit")]) : undefined;
console.log(`goal: AOT start → initialize → tools/list ≤ 50 ms cold: ${aot <= 50 ? "met" : "NOT met"} (${aot.toFixed(1)} ms${jit ? `; JIT ${jit.toFixed(1)} ms` : ""})`);
