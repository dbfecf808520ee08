/**
 * `this` of the import service and of its parts (defineService<ImportThis>, defineMixin<ImportThis>):
 * the service, its mixins' members, each part's methods and the state set in `created`.
 */
import type { AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import type { OutboxMembers } from "../../mixins/outbox.mixin";
import type { GroupLookupMembers } from "./import.groups";
import type { JobMembers } from "./import.jobs";
import type { UploadMembers } from "./import.upload";
import type { WorkerMembers } from "./import.worker";

/** Read from the environment when the service is created. */
export interface ImportState {
	/** IMPORT_MAX_BYTES: the largest file. */
	maxBytes: number;
	/** IMPORT_CHUNK_ROWS: rows per chunk published to the workers. */
	chunkRows: number;
}

export type ImportThis = AppService & DbMembers & OutboxMembers & ImportState & JobMembers & UploadMembers & WorkerMembers & GroupLookupMembers;
