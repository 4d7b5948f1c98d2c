import { describe, expect, it, vi } from "vitest";
import { createActivityReporter } from "../src/activity";

describe("createActivityReporter", () => {
  it("reports at most once per interval", () => {
    let now = 1_000;
    const report = vi.fn(() => Promise.resolve());
    const onActivity = createActivityReporter(report, 20_000, () => now);
    expect(onActivity()).toBe(true);
    now += 5_000;
    expect(onActivity()).toBe(false);
    now += 15_000;
    expect(onActivity()).toBe(true);
    expect(report).toHaveBeenCalledTimes(2);
  });

  it("survives a failed report", async () => {
    const onActivity = createActivityReporter(() => Promise.reject(new Error("locked")), 10, () => 0);
    expect(onActivity()).toBe(true);
    await Promise.resolve();
  });
});
