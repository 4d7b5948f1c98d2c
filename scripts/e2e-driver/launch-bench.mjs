// Launch timing and idle memory of the built desktop app, driven like the end-to-end run (tauri-driver in front
// of WebKitWebDriver, under a display: scripts/bench-desktop runs it inside xvfb-run).
// Usage: node launch-bench.mjs APP_BINARY [RUNS]
// 1. A first session creates a vault on the first-run page, then quits.
// 2. RUNS timed sessions each launch the app on that vault and measure: launch -> the unlock page drawn, and
//    unlock -> the dashboard's spend cards drawn (this includes the 600,000-iteration key derivation).
// 3. In the last session, after 10 s idle on the dashboard, the whole process tree's memory (the app and its
//    WebKit web and network processes): RSS and PSS (shared pages divided among the processes that map them).
// Prints one JSON object.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session, startTauriDriver } from "./webdriver.mjs";

const binary = process.argv[2] && resolve(process.argv[2]);
const runs = Number(process.argv[3] ?? 5);
if (!binary) {
  console.error("usage: node launch-bench.mjs APP_BINARY [RUNS]");
  process.exit(2);
}
const PORT = 4446; // 4445 is tauri-driver's own default port for WebKitWebDriver
const PASSWORD = "Copper-Lantern-Violin-Marsh-42";
const home = mkdtempSync(join(tmpdir(), "tallyvault-bench-"));
const empty = join(home, "empty");
const driverEnv = { TALLYVAULT_HOME: join(home, "data"), CLAUDE_CONFIG_DIR: empty, CODEX_HOME: empty };
let driver;
const field = (label) => `//label[contains(normalize-space(.), '${label}')]//input[@type='password']`;


const start = () => Session.start(`http://127.0.0.1:${PORT}`, { "tauri:options": { application: binary } });

function processTree(root) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // gone
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

function memoryKb(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const get = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { rss: get("Rss"), pss: get("Pss"), pssAnon: get("Pss_Anon"), pssFile: get("Pss_File"), pssShmem: get("Pss_Shmem") };
}

const processName = (pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim();

// PSS of every mapping of the tree, summed by what is mapped: a file's path, [heap], [stack], an anonymous
// mapping, a memfd or a SysV/dma-buf region. Where the tree's memory goes, largest first.
function pssByMapping(tree) {
  const sums = new Map();
  for (const pid of tree) {
    let name = null;
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (header) {
        name = header[1] || "[anonymous]";
        if (name.startsWith("/memfd:")) name = "[memfd]";
        continue;
      }
      const pss = /^Pss:\s+(\d+) kB/.exec(line);
      if (pss && name) sums.set(name, (sums.get(name) ?? 0) + Number(pss[1]));
    }
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([mapping, kb]) => ({ mapping, pssMb: Math.round(kb / 102.4) / 10 }));
}

function appPid() {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] === binary) return Number(entry);
    } catch {
      // gone
    }
  }
  throw new Error("the app's process was not found");
}

const result = { runs: [], memory: null };
try {
  driver = await startTauriDriver(PORT, driverEnv);
  let session = await start();
  await session.waitForText("Create your Tallyvault", 30_000);
  await session.type("(//input[@type='password'])[1]", PASSWORD, "the password field");
  await session.type("(//input[@type='password'])[2]", PASSWORD, "the repeat field");
  await session.click("//input[@type='checkbox']", "the no-recovery checkbox");
  await session.clickButton("Create vault");
  await session.waitFor("//*[@data-testid='spend-today-cost']", "the dashboard", 60_000);
  await session.end();

  for (let i = 0; i < runs; i++) {
    const launched = performance.now();
    session = await start();
    await session.waitForText("Unlock Tallyvault", 30_000);
    const unlockDrawn = performance.now();
    await session.type(field("Master password"), PASSWORD, "the password field");
    const submitted = performance.now();
    await session.clickButton("Unlock");
    await session.waitFor("//*[@data-testid='spend-today-cost']", "the dashboard", 60_000);
    const dashboardDrawn = performance.now();
    result.runs.push({
      launchToUnlockPageMs: Math.round(unlockDrawn - launched),
      unlockToDashboardMs: Math.round(dashboardDrawn - submitted),
    });
    if (i === runs - 1) {
      await new Promise((r) => setTimeout(r, 10_000));
      const tree = processTree(appPid());
      const mb = (kb) => Math.round(kb / 102.4) / 10;
      const perProcess = tree.map((pid) => {
        const m = memoryKb(pid);
        return { pid, name: processName(pid), rssMb: mb(m.rss), pssMb: mb(m.pss), pssAnonMb: mb(m.pssAnon), pssFileMb: mb(m.pssFile), pssShmemMb: mb(m.pssShmem), kb: m };
      });
      const total = perProcess.reduce((a, p) => ({ rss: a.rss + p.kb.rss, pss: a.pss + p.kb.pss }), { rss: 0, pss: 0 });
      for (const p of perProcess) delete p.kb;
      // BENCH_SMAPS_DIR=DIR keeps each process's /proc/PID/smaps for a closer look.
      if (process.env.BENCH_SMAPS_DIR) {
        mkdirSync(process.env.BENCH_SMAPS_DIR, { recursive: true });
        for (const p of perProcess) writeFileSync(join(process.env.BENCH_SMAPS_DIR, `${p.name}.${p.pid}.smaps`), readFileSync(`/proc/${p.pid}/smaps`));
      }
      result.memory = {
        processes: tree.length,
        rssMb: Math.round(total.rss / 1024),
        pssMb: Math.round(total.pss / 1024),
        perProcess,
        topMappings: pssByMapping(tree),
      };
    }
    await session.end();
  }
} finally {
  driver?.kill();
  rmSync(home, { recursive: true, force: true });
}
const median = (key) => {
  const values = result.runs.map((r) => r[key]).sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
};
result.median = { launchToUnlockPageMs: median("launchToUnlockPageMs"), unlockToDashboardMs: median("unlockToDashboardMs") };
console.log(JSON.stringify(result));
