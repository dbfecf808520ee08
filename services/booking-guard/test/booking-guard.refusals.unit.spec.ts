/**
 * A reservation's refusals as pure rules (booking-guard.rules.ts `refusals`, `bookingRejected`):
 * the same decisions the reserve action makes under the client's lock, without a database.
 */
import assert from "node:assert/strict";
import { accessReasons, bookingRejected, refusals } from "../booking-guard.rules";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const at = (hours: number) => ({ startsAt: NOW + hours * HOUR, endsAt: NOW + (hours + 1) * HOUR });

describe("Booking guard: a reservation's refusals", () => {
	it("when every occurrence is in the future, within the limit and open to the group, then nothing refuses it", () => {
		assert.deepEqual(refusals([at(1), at(2)], [], NOW, 3, 1), []);
		assert.deepEqual(refusals([at(1), at(2)], [], NOW, null, 100), []);
	});

	it("when a series passes the limit, then each occurrence past it is refused, counting the bookings already held", () => {
		const failed = refusals([at(1), at(2), at(3)], [], NOW, 3, 1);
		assert.deepEqual(
			failed.map(f => [f.index, f.reasons.map(r => r.code)]),
			[[2, ["FUTURE_BOOKING_LIMIT"]]],
		);
		assert.equal(failed[0].startsAt, new Date(NOW + 3 * HOUR).toISOString());
	});

	it("when an occurrence starts now or earlier, then it is STARTS_IN_PAST and does not count toward the limit", () => {
		const failed = refusals([at(0), at(-1), at(1)], [], NOW, 1, 0);
		assert.deepEqual(
			failed.map(f => [f.index, f.reasons.map(r => r.code)]),
			[
				[0, ["STARTS_IN_PAST"]],
				[1, ["STARTS_IN_PAST"]],
			],
		);
	});

	it("when the product refuses the group, then every occurrence carries that reason", () => {
		const access = accessReasons({ kind: "activity", groupIds: ["other"] }, "mine").reasons;
		const failed = refusals([at(1), at(2)], access, NOW, null, 0);
		assert.deepEqual(
			failed.map(f => f.reasons.map(r => r.code)),
			[["GROUP_NOT_ALLOWED"], ["GROUP_NOT_ALLOWED"]],
		);
	});

	it("when a refusal is answered, then 409 BOOKING_REJECTED lists each reason once, and the occurrences only for a series", () => {
		const access = accessReasons({ kind: "product", groupIds: [] }, "mine").reasons;
		const failed = refusals([at(-1), at(1)], access, NOW, null, 0);
		const single = bookingRejected(failed, false);
		assert.equal(single.type, "BOOKING_REJECTED");
		assert.equal(single.code, 409);
		assert.deepEqual(
			(single.data as { reasons: Array<{ code: string }> }).reasons.map(r => r.code),
			["PRODUCT_NOT_VISIBLE", "STARTS_IN_PAST"],
		);
		assert.equal((single.data as { occurrences?: unknown }).occurrences, undefined);
		const series = bookingRejected(failed, true);
		assert.deepEqual((series.data as { occurrences: unknown }).occurrences, failed);
		assert.match(series.message, /PRODUCT_NOT_VISIBLE, STARTS_IN_PAST/);
	});
});
