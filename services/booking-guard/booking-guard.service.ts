/**
 * The 'booking-guard' service. (Foundation: its schema and migrations folder; its actions arrive with their issue.)
 */
import { DbMixin } from "../../mixins/db.mixin";
import { defineService } from "../../lib/service";

const BookingGuardService = defineService({
	name: "booking-guard",
	mixins: [DbMixin({ schema: "booking_guard" })],
	settings: { rest: "/" },
	actions: {
		/** Internal: cancels a client's future bookings (client deletion asks). */
		cancelClientBookings: {
			params: { clientId: "string" },
			async handler() {
				return { cancelled: 0 };
			},
		},
	},
});

export default BookingGuardService;
