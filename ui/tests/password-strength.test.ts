import { describe, expect, it } from "vitest";
import { MIN_PASSWORD_LENGTH, passwordStrength } from "../src/password-strength";

describe("passwordStrength", () => {
  it("calls anything shorter than the minimum too short", () => {
    const s = passwordStrength("a".repeat(MIN_PASSWORD_LENGTH - 1));
    expect(s.level).toBe(0);
    expect(s.label).toBe("too short");
  });

  it("rates common words and sequences weak even when long enough", () => {
    expect(passwordStrength("password123").level).toBeLessThanOrEqual(1);
    expect(passwordStrength("abcdefghijkl").level).toBeLessThanOrEqual(1);
    expect(passwordStrength("aaaaaaaaaaaaaaaa").level).toBeLessThanOrEqual(1);
  });

  it("rates a long passphrase of unrelated words strong", () => {
    const s = passwordStrength("Copper-Lantern-Violin-Marsh-42");
    expect(s.level).toBe(4);
    expect(s.hints).toEqual([]);
  });

  it("orders by strength: more variety and length never rate lower", () => {
    const short = passwordStrength("tulipgarden");
    const longer = passwordStrength("tulipgarden ferry Nova 7!");
    expect(longer.level).toBeGreaterThan(short.level);
  });
});
