// Drives the Whim MCP server with the MCP TypeScript SDK client, over stdio or streamable HTTP, and checks each
// tool's effect in the control API with the admin token. Prints one JSON line: {ok, tools, checks, failures}.
//
//   node scenario.mjs --transport stdio --command dotnet --arg /path/Whim.WhimMcp.dll   (WHIM_API_URL, WHIM_INTERNAL_API_TOKEN, WHIM_TASK_ID in env)
//   node scenario.mjs --transport http --url http://127.0.0.1:5080/api/mcp/team/ws --token whim_mcp_...
//   common: --api <control URL> --admin <admin token> --seed-task <id> --seed-token <internal token> --user-name <name>
//           [--only list] (list tools and stop)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, "");
  (args[key] ??= []).push(process.argv[i + 1]);
}
const arg = (k) => args[k]?.[0];

export const EXPECTED = {
  list_tasks: ["status", "parent_task_id", "limit", "offset"],
  get_task: ["task_id", "history", "history_limit"],
  get_task_comments: ["task_id"],
  get_task_attachments: ["task_id"],
  search: ["query", "mode", "history_type", "task_id", "since", "until", "threshold", "limit"],
  list_workspace_users: [],
  create_task: ["prompt", "title", "relationship", "provider", "model", "base_branch", "mode"],
  create_batch: ["kind", "items", "relationship"],
  send_prompt: ["task_id", "prompt"],
  complete_tasks: ["task_ids"],
  create_todo: ["title", "body", "priority", "effort", "tags", "assignee_id", "provider", "model", "base_branch", "mode"],
  update_todo: ["todo_id", "title", "body", "priority", "effort", "tags", "assignee_id", "provider", "model", "base_branch", "mode"],
  launch_todos: ["todo_ids"],
  pause_tasks: ["task_ids"],
  resume_task: ["task_id", "prompt"],
  archive_tasks: ["task_ids"],
  fork_task: ["task_id", "mode", "prompt"],
  add_comment: ["task_id", "body", "parent_comment_id"],
  get_current_task: [],
  get_workspace_config: ["layer"],
  list_previews: ["task_id"],
  list_images: [],
  build_image: ["source", "dockerfile", "branch", "auto_activate"],
  activate_image: ["image_id"],
};
const REQUIRED = {
  get_task: ["task_id"], get_task_comments: ["task_id"], get_task_attachments: ["task_id"], search: ["query"],
  create_task: ["prompt"], create_batch: ["kind", "items"], send_prompt: ["task_id", "prompt"], complete_tasks: ["task_ids"],
  create_todo: ["title"], update_todo: ["todo_id"], launch_todos: ["todo_ids"], pause_tasks: ["task_ids"], resume_task: ["task_id"],
  archive_tasks: ["task_ids"], fork_task: ["task_id"], add_comment: ["task_id", "body"], list_previews: ["task_id"], activate_image: ["image_id"],
};

const checks = [];
const failures = [];
const called = new Set();
function check(name, condition, detail) {
  checks.push(name);
  if (!condition) failures.push(`${name}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`.slice(0, 600));
}

async function api(method, path, body, token = arg("admin")) {
  const response = await fetch(new URL(path, arg("api")), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const http = arg("transport") === "http";
const transport = http
  ? new StreamableHTTPClientTransport(new URL(arg("url")), { requestInit: { headers: { authorization: `Bearer ${arg("token")}` } } })
  : new StdioClientTransport({ command: arg("command"), args: args.arg ?? [], env: { ...process.env }, stderr: "inherit" });
const client = new Client({ name: "whim-scenario", version: "0.1.0" });
const started = performance.now();
await client.connect(transport);
const { tools } = await client.listTools();
const listMs = performance.now() - started;

const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
check("exactly the specified tools", JSON.stringify(Object.keys(byName).sort()) === JSON.stringify(Object.keys(EXPECTED).sort()), Object.keys(byName));
for (const [name, params] of Object.entries(EXPECTED)) {
  const schema = byName[name]?.inputSchema ?? {};
  const props = Object.keys(schema.properties ?? {}).sort();
  check(`${name} params`, JSON.stringify(props) === JSON.stringify([...params].sort()), props);
  check(`${name} required`, JSON.stringify([...(schema.required ?? [])].sort()) === JSON.stringify([...(REQUIRED[name] ?? [])].sort()), schema.required);
  check(`${name} described`, (byName[name]?.description ?? "").length > 20 && params.every((p) => (schema.properties?.[p]?.description ?? "").length > 3), name);
}

async function call(name, input, expectError = false) {
  called.add(name);
  const result = await client.callTool({ name, arguments: input });
  const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
  check(`${name} ${expectError ? "fails as a tool error" : "succeeds"}`, Boolean(result.isError) === expectError, text);
  if (!expectError) check(`${name} has structured content`, result.structuredContent && typeof result.structuredContent === "object", name);
  return { text, data: result.structuredContent ?? {}, isError: Boolean(result.isError) };
}

if (arg("only") !== "list") {
  const seed = await api("GET", `api/v1/tasks/${arg("seed-task")}`);
  const ws = seed.workspaceId;
  const tag = http ? "http" : "stdio";

  // Discovery
  const current = await call("get_current_task", {}, http);
  check("get_current_task names the task or says there is none", http ? /no current task/i.test(current.text) : current.text.includes(seed.displayId), current.text);
  const detail = await call("get_task", { task_id: seed.displayId, history: "full" });
  check("get_task shows the conversation", detail.text.includes("refactor the parser") && detail.data.conversation?.length >= 2, detail.text);
  const missing = await call("get_task", { task_id: "ZZ-999" }, true);
  check("an unknown id is a tool error saying what to fix", /list_tasks|not found/i.test(missing.text), missing.text);
  const found = await call("search", { query: "parser", mode: "hybrid" });
  check("search finds the conversation", found.data.hits?.some((h) => h.taskId === seed.id) && /fell back/.test(found.text), found.text);
  const shell = await call("search", { query: "build", history_type: "shell", task_id: seed.id });
  check("search finds shell history", shell.data.hits?.length >= 1 && shell.data.hits.every((h) => h.kind === "shell"), shell.text);
  const users = await call("list_workspace_users", {});
  check("list_workspace_users lists the member", users.text.includes(arg("user-name")), users.text);
  const attachments = await call("get_task_attachments", { task_id: seed.id });
  check("attachments are read", attachments.text.includes("notes.txt"), attachments.text);
  const previews = await call("list_previews", { task_id: seed.displayId });
  check("previews list the port", previews.text.includes("5173"), previews.text);
  const config = await call("get_workspace_config", { layer: "workspace" });
  check("config masks secrets", config.text.includes("***") && !config.text.includes("s3cr3t-value"), config.text);
  await call("get_workspace_config", {}, http);

  // Comments
  const comment = await call("add_comment", { task_id: seed.id, body: `Looks good (${tag})` });
  await call("add_comment", { task_id: seed.id, body: `Reply (${tag})`, parent_comment_id: comment.data.comment.id });
  const comments = await call("get_task_comments", { task_id: seed.displayId });
  check("comments are threaded", comments.text.includes(`Looks good (${tag})`) && new RegExp(`\\n\\s+- .*Reply \\(${tag}\\)`).test(comments.text), comments.text);

  // Creation
  const created = await call("create_task", { prompt: `Write the changelog (${tag})`, relationship: http ? "top_level" : "child", mode: "simple" });
  const child = await api("GET", `api/v1/tasks/${created.data.task.id}`);
  check("create_task launched it", child.status === "active" && (http ? !child.parentId : child.parentId === seed.id), child);
  check("the internal token is not shown", !JSON.stringify(created).includes("whim_task_"), created.text);
  if (http) await call("create_task", { prompt: "x", relationship: "child" }, true);
  const listed = await call("list_tasks", { status: "active" });
  check("list_tasks shows it", listed.text.includes(child.displayId), listed.text);
  if (!http) {
    const children = await call("list_tasks", { status: "all", parent_task_id: seed.displayId });
    check("children are listed under the parent", children.text.includes(child.displayId), children.text);
  }

  const todo = await call("create_todo", { title: `Backlog item (${tag})`, priority: "high", tags: ["docs"], effort: "small" });
  await call("update_todo", { todo_id: todo.data.task.displayId, title: `Backlog item, edited (${tag})` });
  let row = await api("GET", `api/v1/tasks/${todo.data.task.id}`);
  check("todo created and edited", row.status === "todo" && row.title.includes("edited") && row.priority === "high", row);
  await call("launch_todos", { todo_ids: [todo.data.task.id] });
  row = await api("GET", `api/v1/tasks/${todo.data.task.id}`);
  check("todo launched", row.status === "active", row);
  const batch = await call("create_batch", { kind: "todo", items: [{ title: `Batch A (${tag})` }, { title: `Batch B (${tag})`, priority: "low" }] });
  check("batch created two todos", batch.data.created?.length === 2 && batch.data.created.every((t) => t.status === "todo"), batch.text);
  await call("create_batch", { kind: "todo", items: [] }, true);

  // Communication: the seeded task's runtime claims the prompt
  await call("send_prompt", { task_id: seed.displayId, prompt: `Status report please (${tag})` });
  const claimed = await api("POST", `api/v1/tasks/${seed.id}/prompts/claim`, {}, arg("seed-token"));
  check("send_prompt delivered", claimed.some((p) => p.body === `Status report please (${tag})`), claimed);

  // Lifecycle of the created task
  await call("pause_tasks", { task_ids: [child.displayId] });
  check("paused", (await api("GET", `api/v1/tasks/${child.id}`)).status === "sleeping", "not sleeping");
  await call("resume_task", { task_id: child.id, prompt: `Carry on (${tag})` });
  const prompts = await api("GET", `api/v1/tasks/${child.id}/prompts`);
  check("resumed with a prompt", (await api("GET", `api/v1/tasks/${child.id}`)).status === "active" && prompts.some((p) => p.body === `Carry on (${tag})`), prompts);
  await call("complete_tasks", { task_ids: [child.id] });
  check("completed", (await api("GET", `api/v1/tasks/${child.id}`)).status === "completed", "not completed");
  await call("resume_task", { task_id: child.displayId });
  check("a completed task resumes", (await api("GET", `api/v1/tasks/${child.id}`)).status === "active", "not active");
  await call("archive_tasks", { task_ids: [child.id] });
  check("archived", (await api("GET", `api/v1/tasks/${child.id}`)).status === "archived", "not archived");
  await call("complete_tasks", { task_ids: [] }, true);
  await call("send_prompt", { task_id: child.id, prompt: "too late" }, true);

  const fork = await call("fork_task", { task_id: seed.displayId, mode: "summary", prompt: `Try another approach (${tag})` });
  const forked = await api("GET", `api/v1/tasks/${fork.data.task.id}`);
  check("fork starts from the source branch", forked.sourceBranch === seed.branch && forked.status === "active" && forked.body.includes("Try another approach"), forked);

  // Images are not on this control plane yet
  for (const [name, input] of [["list_images", {}], ["build_image", { source: "repo", branch: "main" }], ["activate_image", { image_id: "img" }]]) {
    const r = await call(name, input, true);
    check(`${name} says images are not available`, /not available/i.test(r.text), r.text);
  }

  const uncalled = Object.keys(EXPECTED).filter((n) => !called.has(n));
  check("every tool was called", uncalled.length === 0, uncalled);
}

await client.close();
console.log(JSON.stringify({ ok: failures.length === 0, transport: http ? "http" : "stdio", listMs: Math.round(listMs), tools: tools.map((t) => t.name), checks: checks.length, failures }));
process.exit(failures.length === 0 ? 0 : 1);
