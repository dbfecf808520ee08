/**
 * `clients.importBatch`: the import workers' one write path into the clients schema.
 * (Arrives with the CSV import issue; mixed into the clients service.)
 */
import type { ServiceSchema } from "moleculer";

export const ImportBatchMixin: Partial<ServiceSchema> = {
	actions: {},
};
