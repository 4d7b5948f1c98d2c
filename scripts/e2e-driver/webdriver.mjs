// A minimal W3C WebDriver client over HTTP (Node's fetch): just what the end-to-end run needs.

import { spawn } from "node:child_process";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, capabilities) {
    const value = await request(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  command(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(xpath) {
    const value = await this.command("POST", "/element", { using: "xpath", value: xpath });
    return value[ELEMENT];
  }

  /** Waits until `xpath` matches a displayed element; returns its id. */
  async waitFor(xpath, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
      try {
        const id = await this.find(xpath);
        if (await this.command("GET", `/element/${id}/displayed`)) return id;
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting for ${what} (${xpath}): ${lastError?.message ?? "not displayed"}`);
  }

  async waitForText(text, timeoutMs) {
    return this.waitFor(`//*[contains(normalize-space(.), ${xpathString(text)}) and not(*[contains(normalize-space(.), ${xpathString(text)})])]`, `the text "${text}"`, timeoutMs);
  }

  async click(xpath, what) {
    const id = await this.waitFor(xpath, what);
    await this.command("POST", `/element/${id}/click`, {});
  }

  async clickButton(name) {
    await this.click(`//button[normalize-space(.)=${xpathString(name)} or @aria-label=${xpathString(name)}]`, `the button "${name}"`);
  }

  async type(xpath, text, what) {
    const id = await this.waitFor(xpath, what);
    await this.command("POST", `/element/${id}/clear`, {});
    await this.command("POST", `/element/${id}/value`, { text });
  }

  async title() {
    return this.command("GET", "/title");
  }

  /** A PNG of the window, as bytes. */
  async screenshot() {
    return Buffer.from(await this.command("GET", "/screenshot"), "base64");
  }

  async end() {
    await this.command("DELETE", "", undefined).catch(() => undefined);
  }
}

export function xpathString(text) {
  if (!text.includes("'")) return `'${text}'`;
  return `concat('${text.split("'").join(`', "'", '`)}')`;
}

async function request(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok || json.value?.error) {
    throw new Error(`${method} ${path}: ${response.status} ${json.value?.error ?? ""} ${json.value?.message ?? ""}`.trim());
  }
  return json.value;
}

/**
 * Starts tauri-driver on `port` (WebKitWebDriver behind it) with `env` added to this process's environment,
 * and waits until it answers. Returns the child process (kill it when done).
 */
export async function startTauriDriver(port, env) {
  const driver = spawn("tauri-driver", ["--port", String(port)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) return driver;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  driver.kill();
  throw new Error("tauri-driver did not start");
}
