// End-to-end run of the built desktop app: tauri-driver (in front of WebKitWebDriver) drives the real window.
// Usage: node run.mjs APP_BINARY ARTIFACT_DIR   (under a display: scripts/e2e runs it inside xvfb-run)
// Scenario: create a vault -> add a credential -> scan a fixture Claude Code folder -> the dashboard and the tray
// menu show its known totals -> a budget the fixture crosses raises its alert and a desktop notification -> lock
// -> a wrong password is refused with a message -> unlock -> the audit log verifies -> a provider account on a
// fake provider (loopback) is polled by the scheduler, nobody pressing anything -> the tray's Lock locks the
// window. A screenshot of each page goes to ARTIFACT_DIR and must not be blank.
// The desktop it runs on is a private session bus (scripts/e2e: dbus-run-session) with desktop-services.py as its
// notification daemon and tray (StatusNotifierWatcher): what the app sends there is what a desktop would show.
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "./webdriver.mjs";
import { colourStats, decodePng, decodeXwd, looksDrawn } from "./png.mjs";

const [binary, artifactDir] = process.argv.slice(2).map((p) => p && resolve(p));
if (!binary || !artifactDir) {
  console.error("usage: node run.mjs APP_BINARY ARTIFACT_DIR");
  process.exit(2);
}
mkdirSync(artifactDir, { recursive: true });

const PASSWORD = "Copper-Lantern-Violin-Marsh-42";
const KEY = "sk-ant-api03-e2e-ONLY-not-a-real-key-0123456789";
const PORT = 4444;
const home = mkdtempSync(join(tmpdir(), "tallyvault-e2e-"));

// The fixture agent logs: two Claude Code messages a few seconds ago whose reported costs ($1.25 + $2.50) make
// today's, this week's and this month's spend $3.75, written into a folder the app watches once it runs. Codex
// gets an empty home, so the machine's own logs stay out.
const claudeDir = join(home, "claude");
const codexDir = join(home, "codex");
mkdirSync(join(claudeDir, "projects", "-home-e2e-shop"), { recursive: true });
mkdirSync(codexDir, { recursive: true });
const message = (n, cost, model, at) =>
  JSON.stringify({
    type: "assistant",
    timestamp: at,
    requestId: `req_e2e_${n}`,
    costUSD: cost,
    message: { id: `msg_e2e_${n}`, model, usage: { input_tokens: 1000, output_tokens: 200 } },
  });
/** Written while the app runs, so its watcher must notice it. */
function writeFixtureLog() {
  const at = new Date(Date.now() - 5_000).toISOString();
  writeFileSync(
    join(claudeDir, "projects", "-home-e2e-shop", "session-e2e.jsonl"),
    `${message(1, 1.25, "claude-sonnet-4-20250514", at)}\n${message(2, 2.5, "claude-opus-4-20250514", at)}\n`,
  );
}
const dataDir = join(home, "data");

// The desktop's notification daemon and tray, on the session bus the run was given.
const services = join(dirname(fileURLToPath(import.meta.url)), "desktop-services.py");
const desktopLog = join(home, "desktop.jsonl");
const desktop = spawn("/usr/bin/python3", [services, "serve", desktopLog], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((ready, fail) => {
  desktop.stdout.on("data", (chunk) => String(chunk).includes("ready") && ready());
  desktop.on("exit", (code) => fail(new Error(`desktop-services.py exited (${code}): is this run on a session bus?`)));
});
/** What the app sent the desktop so far: {notification: {app, summary, body}} and {tray: {bus, path}}. */
const desktopEvents = () =>
  existsSync(desktopLog)
    ? readFileSync(desktopLog, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line))
    : [];
async function until(what, probe, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
/** The tray item the app registered with the desktop's StatusNotifierWatcher. */
const trayItem = () => until("the app's tray item", () => desktopEvents().find((e) => e.tray)?.tray);
/** The tray menu's items as a tray host reads them over D-Bus (com.canonical.dbusmenu). */
async function trayMenu() {
  const { bus, path } = await trayItem();
  return JSON.parse(execFileSync("/usr/bin/python3", [services, "menu", bus, path], { encoding: "utf8" }));
}
const trayLabels = async () => (await trayMenu()).map((item) => item.label);

// A fake Anthropic Admin API on loopback: every report page is empty. It only counts the requests that carried
// the vault's key (the key itself is never written down).
const providerRequests = [];
const fakeProvider = createServer((request, response) => {
  const path = new URL(request.url, "http://127.0.0.1").pathname;
  providerRequests.push({ path, withKey: request.headers["x-api-key"] === KEY });
  const known = path === "/v1/organizations/usage_report/messages" || path === "/v1/organizations/cost_report";
  response.writeHead(known ? 200 : 404, { "content-type": "application/json" });
  response.end(known ? JSON.stringify({ data: [], has_more: false, next_page: null }) : "{}");
});
await new Promise((r) => fakeProvider.listen(0, "127.0.0.1", r));
const providerUrl = `http://127.0.0.1:${fakeProvider.address().port}`;
const cli = join(dirname(binary), "tallyvault");

const driver = spawn("tauri-driver", ["--port", String(PORT)], {
  env: { ...process.env, TALLYVAULT_HOME: dataDir, CLAUDE_CONFIG_DIR: claudeDir, CODEX_HOME: codexDir },
  stdio: ["ignore", "inherit", "inherit"],
});

const results = [];
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${error.message}`);
    throw error;
  }
}

async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tauri-driver did not start");
}

let session;
async function snapshot(name) {
  // WebKitWebDriver's screenshot can wait forever when the web view paints without compositing (the app sets
  // WEBKIT_DISABLE_COMPOSITING_MODE to save memory; WebKitGTK 2.50), though the window is drawn: after 10 s the X
  // display is captured instead (xwd, from x11-apps) and judged the same way.
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 10_000).unref());
  const png = await Promise.race([session.screenshot(), timeout]);
  let image;
  if (png) {
    writeFileSync(join(artifactDir, `${name}.png`), png);
    image = decodePng(png);
  } else {
    const xwd = execFileSync("xwd", ["-root", "-silent"], { maxBuffer: 64 << 20 });
    writeFileSync(join(artifactDir, `${name}.xwd`), xwd);
    image = decodeXwd(xwd);
  }
  const stats = colourStats(image);
  if (!looksDrawn(stats)) {
    throw new Error(`screenshot ${name} looks blank: ${stats.distinct} colours, ${(stats.dominantShare * 100).toFixed(1)}% one colour`);
  }
}

const nav = (label) => session.click(`//nav//button[normalize-space(.)='${label}']`, `the ${label} page`);
const field = (label, type = "") =>
  `//label[contains(normalize-space(.), '${label}')]//input${type ? `[@type='${type}']` : ""}`;

let failed = false;
try {
  await waitForDriver();
  await step("the app starts on the first-run page", async () => {
    session = await Session.start(`http://127.0.0.1:${PORT}`, { "tauri:options": { application: binary } });
    await session.waitForText("Create your Tallyvault", 30_000);
    const title = await session.title();
    if (title !== "Tallyvault") throw new Error(`the document title is ${JSON.stringify(title)}`);
    await session.waitForText("There is no recovery");
    await snapshot("01-setup");
  });

  await step("create a vault", async () => {
    await session.type(field("Master password", "password"), PASSWORD, "the password field");
    await session.type(field("Repeat it", "password"), PASSWORD, "the repeat field");
    await session.click("//input[@type='checkbox']", "the no-recovery checkbox");
    await session.clickButton("Create vault");
    await session.waitForText("Dashboard · Tallyvault", 30_000);
    await session.waitForText("0 credentials");
    await snapshot("02-dashboard");
  });

  await step("add a credential by pasting it; the provider is detected", async () => {
    await nav("Credentials");
    await session.clickButton("Add credential");
    await session.type(field("Label"), "e2e-anthropic", "the label field");
    await session.type(field("Key (paste it)", "password"), KEY, "the key field");
    await session.waitForText("Detected provider: Anthropic");
    await session.click("//form//button[@type='submit' and normalize-space(.)='Add']", "the Add button");
    await session.waitForText("Added e2e-anthropic (Anthropic).");
    await session.waitFor("//tbody//th[normalize-space(.)='e2e-anthropic']", "the new row");
    await snapshot("03-credentials");
  });

  await step("new agent log lines reach the dashboard live; Scan now finds nothing more", async () => {
    await nav("Dashboard");
    await session.waitFor("//*[@data-testid='spend-today-cost' and normalize-space(.)='$0.00']", "an empty today");
    writeFixtureLog();
    for (const card of ["spend-today-cost", "spend-week-cost", "spend-month-cost"]) {
      await session.waitFor(`//*[@data-testid='${card}' and normalize-space(.)='$3.75']`, `${card} showing $3.75`);
    }
    await session.clickButton("Scan now");
    await session.waitForText("Scanned 1 file: 0 new records", 30_000);
    await session.waitFor("//*[@data-testid='spend-chart']//*[local-name()='svg']", "the chart");
    // <title> is never displayed, so it is found rather than waited for.
    await session.find("//*[@data-testid='spend-chart']//*[local-name()='svg']/*[local-name()='title'][starts-with(., 'Daily spend by provider')]");
    await session.waitForText("80% interval");
    await snapshot("04-dashboard-spend");
  });

  await step("the tray menu shows today's and this month's spend", async () => {
    const wanted = ["Today: $3.75", "This month: $3.75"];
    await until(`the tray menu to show ${wanted.join(" and ")}`, async () => {
      const labels = await trayLabels();
      return wanted.every((w) => labels.includes(w)) && ["Open Tallyvault", "Lock", "Poll now", "Quit"].every((w) => labels.includes(w));
    });
  });

  await step("the usage explorer lists the fixture's models", async () => {
    await nav("Usage");
    await session.waitFor("//tbody//td[normalize-space(.)='claude-opus-4-20250514']", "the opus row");
    await session.waitForText("Rows 1–2 of 2 · total $3.75");
    await snapshot("05-usage");
  });

  await step("a budget the fixture crosses raises its alert", async () => {
    await nav("Budgets and alerts");
    await session.clickButton("New budget");
    await session.type(field("Name"), "e2e daily", "the name field");
    await session.type(field("Amount in USD"), "2", "the amount field");
    await session.click("//label[contains(normalize-space(.), 'Period')]//select/option[@value='day']", "the day period");
    await session.clickButton("Add budget");
    await session.waitForText("Budget added.");
    await session.waitForText("$3.75 of $2.00 (188%)");
    await session.waitForText("past its 100% threshold");
    await snapshot("06-budgets");
    await nav("Dashboard");
    await session.waitFor("//article[.//h2[normalize-space(.)='Open alerts']]//*[contains(., '100% threshold')]", "the alert on the dashboard");
  });

  await step("the budget's alert is a desktop notification", async () => {
    const title = 'Tallyvault: budget "e2e daily" at 100%';
    const shown = await until(`a notification titled ${title}`, () =>
      desktopEvents().find((e) => e.notification?.summary === title)?.notification,
    );
    if (!shown.body.includes("100%")) throw new Error(`the notification's body says ${JSON.stringify(shown.body)}`);
  });

  await step("providers and sources show the scan", async () => {
    await nav("Providers and sources");
    await session.waitFor("//tbody//th[normalize-space(.)='Claude Code']", "the Claude Code row");
    await session.waitForText("No provider account is polled.");
    await snapshot("07-sources");
  });

  await step("lock, and a wrong password is refused with a message", async () => {
    await session.clickButton("Lock");
    await session.waitForText("Unlock Tallyvault");
    await session.type(field("Master password", "password"), "not the password", "the password field");
    await session.clickButton("Unlock");
    await session.waitForText("Wrong password. Check it and try again.", 30_000);
    await snapshot("08-unlock-refused");
  });

  await step("unlock; the failed attempt is reported", async () => {
    await session.type(field("Master password", "password"), PASSWORD, "the password field");
    await session.clickButton("Unlock");
    await session.waitForText("1 failed unlock attempt since the last unlock", 30_000);
    await session.waitForText("1 credential");
  });

  await step("the audit log verifies", async () => {
    await nav("Audit log");
    await session.waitFor("//tbody/tr", "audit rows");
    await session.clickButton("Verify");
    await session.waitForText("The audit log verifies:", 30_000);
    await snapshot("09-audit");
  });

  await step("settings show the auto-lock default", async () => {
    await nav("Settings");
    const input = await session.waitFor(field("Lock after", "number"), "the auto-lock field");
    const value = await session.command("GET", `/element/${input}/property/value`);
    if (value !== "5") throw new Error(`auto-lock shows ${value}, not 5`);
    await snapshot("10-settings");
  });

  await step("the scheduler polls a provider account by itself", async () => {
    // The account is added from the command line (as the Providers page says), pointed at the fake provider.
    execFileSync(cli, ["providers", "add", "anthropic", "--credential", "e2e-anthropic", "--base-url", providerUrl, "--interval", "1m"], {
      env: { ...process.env, TALLYVAULT_HOME: dataDir, TALLYVAULT_PASSWORD: PASSWORD },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await nav("Providers and sources");
    await session.waitFor("//tbody//th[contains(normalize-space(.), 'Anthropic') and contains(., 'e2e-anthropic')]", "the account's row");
    // The scheduler looks for due accounts every 30 s; nothing here asks it to poll.
    await until("a poll of the fake provider with the vault's key", () => providerRequests.some((r) => r.withKey && r.path.endsWith("/usage_report/messages")), 75_000);
    await nav("Dashboard");
    await nav("Providers and sources");
    await session.waitFor("//p[starts-with(normalize-space(.), 'Last poll') and substring(normalize-space(.), string-length(normalize-space(.))) = '.']", "the last poll, without an error", 30_000);
    await session.waitFor("//tbody/tr[th[contains(., 'e2e-anthropic')]]/td[2][normalize-space(.)='none']", "no error on the account");
    await snapshot("11-polled");
  });

  await step("the tray's Lock locks the window", async () => {
    const { bus, path } = await trayItem();
    execFileSync("/usr/bin/python3", [services, "click", bus, path, "Lock"]);
    await session.waitForText("Unlock Tallyvault", 15_000);
    await session.type(field("Master password", "password"), PASSWORD, "the password field");
    await session.clickButton("Unlock");
    await session.waitForText("1 credential", 30_000);
  });
} catch {
  failed = true;
  if (session) await snapshot("failure").catch(() => undefined);
} finally {
  if (session) await session.end();
  driver.kill();
  desktop.kill();
  fakeProvider.close();
  rmSync(home, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok).length;
console.log(`e2e: ${passed} passed, ${results.length - passed} failed`);
console.log(`screenshots in ${artifactDir}`);
process.exit(failed ? 1 : 0);
