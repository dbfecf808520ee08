/** lib/input.middleware.ts: where a NUL character sits in an action's params. */
import assert from "node:assert/strict";
import { findNul } from "../../lib/input.middleware";

describe("findNul (unit)", () => {
	it("when no string holds U+0000, then null, whatever the shape", () => {
		assert.equal(findNul({ a: "x", b: [1, "y", { c: null, d: true }], e: { f: ["z"] } }), null);
		assert.equal(findNul("plain"), null);
		assert.equal(findNul(undefined), null);
	});

	it("when a value, an array item, a nested field or a key holds U+0000, then its path", () => {
		assert.equal(findNul("a\u0000b"), "(root)");
		assert.equal(findNul({ fullName: "Ana\u0000" }), "fullName");
		assert.equal(findNul({ tags: ["ok", "b\u0000d"] }), "tags[1]");
		assert.equal(findNul({ rows: [{ line: 2, client: { email: "a@b.c" } }, { line: 3, client: { email: "x\u0000@b.c" } }] }), "rows[1].client.email");
		assert.equal(findNul({ meta: { ["k\u0000ey"]: 1 } }), "meta.k\u0000ey");
		assert.equal(findNul([["deep", ["\u0000"]]]), "[0][1][0]");
	});
});
