/**
 * The 'import' service. (Foundation: its schema and migrations folder; its actions arrive with their issue.)
 */
import { DbMixin } from "../../mixins/db.mixin";
import { defineService } from "../../lib/service";

const ImportService = defineService({
	name: "import",
	mixins: [DbMixin({ schema: "import" })],
	settings: { rest: "/" },
	actions: {},
});

export default ImportService;
