/** Which schema each service name stands for; a node loads the ones SERVICES names. */
import type { ServiceSchema } from "moleculer";
import type { ServiceName } from "../moleculer.config";
import ApiService from "./api/api.service";
import ClubsService from "./clubs/clubs.service";
import ClientsService from "./clients/clients.service";
import GroupsService from "./groups/groups.service";
import WalletsService from "./wallets/wallets.service";
import BookingGuardService from "./booking-guard/booking-guard.service";
import ImportService from "./import/import.service";
import AuditService from "./audit/audit.service";
import StaffService from "./staff/staff.service";
import WebhooksService from "./webhooks/webhooks.service";

export const SERVICES: Record<ServiceName, ServiceSchema> = {
	api: ApiService,
	clubs: ClubsService,
	clients: ClientsService,
	groups: GroupsService,
	wallets: WalletsService,
	"booking-guard": BookingGuardService,
	import: ImportService,
	audit: AuditService,
	staff: StaffService,
	webhooks: WebhooksService,
};
