/**
 * The 'wallets' service. (Foundation: its schema and migrations folder; its actions arrive with their issue.)
 */
import { DbMixin } from "../../mixins/db.mixin";
import { defineService } from "../../lib/service";

const WalletsService = defineService({
	name: "wallets",
	mixins: [DbMixin({ schema: "wallets" })],
	settings: { rest: "/" },
	actions: {
		/** Internal: does any wallet of this client hold money? (client deletion asks) */
		clientHasMoney: {
			params: { clientId: "string" },
			async handler() {
				return false;
			},
		},
	},
});

export default WalletsService;
