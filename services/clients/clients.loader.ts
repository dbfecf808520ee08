/**
 * Reads of single clients by id, batched: the requests that arrive while the database is
 * busy go to it together, as one statement (`id = ANY` of the waiting ids).
 *
 * Each read costs far more in round trip than in lookup: the driver's work, a write to the
 * socket, waking a backend, parsing the answer. Under load (the booking system calls
 * clients.get on every booking) one round trip for many reads is most of the saving; alone,
 * a read goes out on the next turn of the event loop, as before.
 *
 * Freshness is the same as one query per read: a read only joins a batch that has not been
 * sent yet, so the statement that answers it starts after the read was asked (a write
 * committed before then is seen).
 */
import type { Knex } from "knex";
import { findClientsWithCategories, type ClientWithCategories } from "./clients.queries";

interface Waiting {
	clubId: string;
	id: string;
	resolve(row: ClientWithCategories | undefined): void;
	reject(err: unknown): void;
}

export class ClientLoader {
	private waiting: Waiting[] = [];
	private scheduled = false;
	private inFlight = 0;
	/** Statements sent and reads answered so far (how much batching happens). */
	readonly stats = { statements: 0, reads: 0 };

	/**
	 * @param maxInFlight statements at once (the rest of the pool stays free for other work)
	 * @param maxBatch ids per statement
	 */
	constructor(
		private readonly db: () => Knex,
		private readonly maxInFlight = 2,
		private readonly maxBatch = 256,
	) {}

	/** The live client of this club with this id (lower-case UUID), or undefined. */
	get(clubId: string, id: string): Promise<ClientWithCategories | undefined> {
		return new Promise((resolve, reject) => {
			this.waiting.push({ clubId, id, resolve, reject });
			this.schedule();
		});
	}

	private schedule(): void {
		if (this.scheduled || this.inFlight >= this.maxInFlight || !this.waiting.length) return;
		this.scheduled = true;
		// The reads that arrive in this same turn join the batch.
		setImmediate(() => {
			this.scheduled = false;
			while (this.inFlight < this.maxInFlight && this.waiting.length) void this.send(this.waiting.splice(0, this.maxBatch));
		});
	}

	private async send(batch: Waiting[]): Promise<void> {
		this.inFlight++;
		this.stats.statements++;
		this.stats.reads += batch.length;
		try {
			const rows = await findClientsWithCategories(this.db(), batch);
			const byKey = new Map(rows.map(r => [`${r.club_id}/${r.id}`, r]));
			for (const w of batch) w.resolve(byKey.get(`${w.clubId}/${w.id}`));
		} catch (err) {
			for (const w of batch) w.reject(err);
		} finally {
			this.inFlight--;
			this.schedule();
		}
	}
}
