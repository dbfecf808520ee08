/** Named schemas of CSV import jobs. */
import { defineSchema, entity } from "../registry";
import { AT, IDS, id, nullableTime, time } from "./blocks";

defineSchema(
	"ImportJob",
	entity({
		id,
		status: { type: "string", enum: ["queued", "running", "completed", "failed", "cancelled"] },
		fileName: { type: ["string", "null"] },
		totalRows: { type: "integer", description: "Data rows read so far (final once the file is read)" },
		processedRows: { type: "integer", description: "Rows applied; never goes back" },
		created: { type: "integer" },
		updated: { type: "integer" },
		skipped: { type: "integer" },
		failed: { type: "integer" },
		possibleDuplicates: { type: "integer", description: "Rows imported that look like clients the club already had (same phone, same name and birth date, or a similar name): never refused, each on the errors download with code POSSIBLE_DUPLICATE, and counted in a warning" },
		warnings: { type: "array", items: { type: "string" } },
		error: { type: ["string", "null"], description: "Why the job failed (e.g. missing required columns)" },
		startedAt: nullableTime,
		finishedAt: nullableTime,
		rowsPerSecond: { type: "integer" },
		options: {
			type: "object",
			properties: {
				onDuplicate: { type: "string", enum: ["skip", "update"] },
				dryRun: { type: "boolean" },
				groupId: { type: ["string", "null"] },
				tags: { type: "array", items: { type: "string" } },
				delimiter: { type: "string", enum: ["auto", ",", ";", "tab"] },
				encoding: { type: "string", enum: ["auto", "utf-8", "windows-1252"] },
			},
		},
		createdAt: time,
	}),
	{
		id: IDS.import,
		status: "completed",
		fileName: "clients.csv",
		totalRows: 1200,
		processedRows: 1200,
		created: 1150,
		updated: 0,
		skipped: 38,
		failed: 12,
		possibleDuplicates: 3,
		warnings: ["Column 'Member since' is not recognised: ignored.", "3 row(s) look like clients the club already had (same phone, same name and birth date, or a similar name): imported all the same, listed on the errors download with code POSSIBLE_DUPLICATE."],
		error: null,
		startedAt: AT,
		finishedAt: "2026-11-22T18:00:04.000Z",
		rowsPerSecond: 300,
		options: { onDuplicate: "skip", dryRun: false, groupId: null, tags: [], delimiter: "auto", encoding: "auto" },
		createdAt: AT,
	},
);
defineSchema(
	"ImportError",
	entity({ line: { type: "integer", description: "Physical line in the file (the header is line 1)" }, field: { type: "string" }, code: { type: "string" }, message: { type: "string" } }, "A row that was not imported."),
	{ line: 7, field: "email", code: "DUPLICATE_IN_FILE", message: "An earlier row of the file has this e-mail." },
);
