import { describe, expect, it } from "vitest";
import { formatTime } from "../src/format";
import { integer } from "../src/spend";

// The web view writes en-US dates and numbers by hand (no Intl, to keep ICU out of its memory): these pin the
// hand-written forms to what Intl gives. The web view's JavaScriptCore puts a plain space before AM/PM.
const intlTime = (d: Date) =>
  d.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" }).replace(/\u202f/g, " ");

describe("formats without Intl", () => {
  it("writes a time as en-US medium date and short time", () => {
    for (const d of [
      new Date(2026, 10, 28, 23, 40),
      new Date(2026, 0, 5, 0, 7),
      new Date(2026, 5, 30, 12, 0),
      new Date(2027, 11, 31, 11, 59),
    ]) {
      expect(formatTime(d.toISOString())).toBe(intlTime(d));
    }
    expect(formatTime(null)).toBe("—");
    expect(formatTime("not a time")).toBe("not a time");
  });

  it("groups integers in threes like en-US", () => {
    for (const n of [0, 7, 999, 1000, 12345, -1234567, 9007199254740991]) {
      expect(integer(n)).toBe(n.toLocaleString("en-US"));
    }
  });
});
