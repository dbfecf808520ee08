/**
 * A chunk of a job's rows on the channel (import.channels.ts), from the reading node to a worker.
 * The rows travel as one JSON text: native JSON costs a fraction of the serializer encoding every
 * field of every row (measured: the largest share of the reading node's CPU), and its length is
 * the message's size, so a chunk too big for NATS is split before it is sent.
 */
import type { Actor } from "../../mixins/outbox.mixin";
import type { GenderLanguage } from "./csv/headers";
import type { ImportRow } from "./csv/rows";
import type { JobOptions } from "./import.contract";

/** A chunk message stays well under NATS's 1 MB payload: bigger ones are split. */
const MAX_MESSAGE_BYTES = 768 * 1024;

/** One chunk of a job's rows, as a worker handles it. */
export interface ChunkMessage {
	jobId: string;
	clubId: string;
	chunkIndex: number;
	options: JobOptions;
	genderLanguage: GenderLanguage;
	rows: ImportRow[];
	/** Who started the import: the actor of the clients it creates or updates. */
	actor?: Actor;
}

/** A chunk as it travels on the channel: the rows as one JSON text. */
export interface WireChunk extends Omit<ChunkMessage, "rows"> {
	rowsJson: string;
}

/** The rows of a message off the channel (also accepts one that still carries `rows`). */
export function fromWire(msg: WireChunk | ChunkMessage): ChunkMessage {
	if ("rows" in msg && Array.isArray(msg.rows)) return msg;
	const { rowsJson, ...rest } = msg as WireChunk;
	return { ...rest, rows: JSON.parse(rowsJson) as ImportRow[] };
}

/** Rows -> JSON parts whose message stays under MAX_MESSAGE_BYTES (a normal chunk is one part). */
export function splitForWire(rows: ImportRow[]): Array<{ json: string; count: number }> {
	const json = JSON.stringify(rows);
	if (rows.length <= 1 || Buffer.byteLength(json) <= MAX_MESSAGE_BYTES) return [{ json, count: rows.length }];
	const half = Math.ceil(rows.length / 2);
	return [...splitForWire(rows.slice(0, half)), ...splitForWire(rows.slice(half))];
}
