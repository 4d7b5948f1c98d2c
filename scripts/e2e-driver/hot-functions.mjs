// The desktop app's functions run from launch to an idle dashboard, for src-tauri/hot-functions.txt (the link
// order of release builds; scripts/hot-functions runs this under xvfb-run).
// Usage: node hot-functions.mjs APP_BINARY OUT_FILE
// The app runs under valgrind's callgrind, driven like scripts/e2e-driver/launch-bench.mjs (create a vault and
// quit, launch again, unlock, the dashboard, 15 s idle); callgrind's counts are dumped while the app idles on the
// dashboard, and every function of the app's own binary that ran is written to OUT_FILE, one symbol a line.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session, startTauriDriver } from "./webdriver.mjs";

const binary = process.argv[2] && resolve(process.argv[2]);
const out = process.argv[3] && resolve(process.argv[3]);
if (!binary || !out) {
  console.error("usage: node hot-functions.mjs APP_BINARY OUT_FILE");
  process.exit(2);
}
const PORT = 4447;
const PASSWORD = "Copper-Lantern-Violin-Marsh-42";
const SLOW = 300_000; // callgrind runs the app some 20 times slower
const home = mkdtempSync(join(tmpdir(), "tallyvault-hot-"));
const empty = join(home, "empty");
const dumps = join(home, "callgrind");
execFileSync("mkdir", ["-p", dumps]);
// WebKitWebDriver launches the "browser" it is given: a wrapper running the app under callgrind. Mangled names
// (--demangle=no) are what the linker's symbol ordering file needs.
const wrapper = join(home, "app-under-callgrind");
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=callgrind --demangle=no --dump-instr=no --dump-line=no --compress-strings=no ` +
    `--callgrind-out-file=${dumps}/cg.%p '${binary}' "$@"\n`,
);
chmodSync(wrapper, 0o755);
const driverEnv = { TALLYVAULT_HOME: join(home, "data"), CLAUDE_CONFIG_DIR: empty, CODEX_HOME: empty };
let driver;


const start = () => Session.start(`http://127.0.0.1:${PORT}`, { "tauri:options": { application: wrapper } });

/** Function names with a cost in the app's own object, from one callgrind dump. */
function functionsOfApp(file) {
  const names = new Set();
  let inApp = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("ob=")) inApp = line.slice(3) === binary;
    else if (line.startsWith("fn=") && inApp) {
      // callgrind marks recursion depth as name'N; "0x..." is code without a symbol
      const name = line.slice(3).replace(/'\d+$/, "");
      if (!name.startsWith("0x") && !name.startsWith("(")) names.add(name);
    }
  }
  return names;
}

try {
  driver = await startTauriDriver(PORT, driverEnv);
  let session = await start();
  await session.waitForText("Create your Tallyvault", SLOW);
  await session.type("(//input[@type='password'])[1]", PASSWORD, "the password field");
  await session.type("(//input[@type='password'])[2]", PASSWORD, "the repeat field");
  await session.click("//input[@type='checkbox']", "the no-recovery checkbox");
  await session.clickButton("Create vault");
  await session.waitFor("//*[@data-testid='spend-today-cost']", "the dashboard", SLOW);
  await session.end();

  for (const file of readdirSync(dumps)) rmSync(join(dumps, file));
  session = await start();
  await session.waitForText("Unlock Tallyvault", SLOW);
  await session.type(`//label[contains(normalize-space(.), 'Master password')]//input[@type='password']`, PASSWORD, "the password field");
  await session.clickButton("Unlock");
  await session.waitFor("//*[@data-testid='spend-today-cost']", "the dashboard", SLOW);
  await new Promise((r) => setTimeout(r, 15_000));
  // Dump every callgrind process now (the app is idle on the dashboard); forked children dump copies as well.
  execFileSync("callgrind_control", ["--dump"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 5_000));
  const names = new Set();
  for (const file of readdirSync(dumps).filter((f) => /\.\d+$/.test(f))) {
    for (const name of functionsOfApp(join(dumps, file))) names.add(name);
  }
  if (names.size === 0) throw new Error("callgrind recorded no function of the app");
  writeFileSync(out, [...names].sort().join("\n") + "\n");
  console.log(`${names.size} functions written to ${out}`);
  await session.end();
} finally {
  driver?.kill();
  rmSync(home, { recursive: true, force: true });
}
