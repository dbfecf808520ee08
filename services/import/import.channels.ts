/**
 * The reliable channel that carries import chunks from the parsing node to the workers
 * (@moleculer/channels). Over a NATS transporter it is a JetStream stream with one durable
 * consumer shared by every import node (acks, redelivery after ACK_WAIT_MS, dead letters);
 * without a transporter (the embedded default) it is the in-process Fake adapter, which
 * neither retries nor dead-letters: the workers do both themselves (import.worker.ts).
 */
import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import type { Middleware, ServiceBroker } from "moleculer";
import { readEnv, type Env } from "../../moleculer.config";

/** Chunks of parsed rows, one message each (msgID `<jobId>:<chunkIndex>`). */
export const CHUNK_CHANNEL = "import.chunks";
/** Where the adapter moves a chunk redelivered ADAPTER_MAX_RETRIES times (JetStream only); its rows become failed rows. */
export const DEAD_CHANNEL = "import.chunks.dead";
/** A message not acked (nor marked working) for this long goes to another worker. */
const ACK_WAIT_MS = 10_000;
/** A worker marks its message "working" this often while it handles it. */
export const WORKING_EVERY_MS = 2_000;
/**
 * Chunks being written at once (IMPORT_MAX_IN_FLIGHT, default 8). Over JetStream this is the
 * shared consumer's max_ack_pending, so it bounds all import workers together.
 */
export const MAX_IN_FLIGHT = readEnv().importMaxInFlight;
/** Deliveries of one chunk after which the worker records its rows as failed (never dropped). */
export const MAX_ATTEMPTS = 3;
/** The adapter's own limit (above ours): past it JetStream moves the message to DEAD_CHANNEL. */
export const ADAPTER_MAX_RETRIES = 10;

/** What the channels middleware adds to the broker (its typings do not say). */
export interface ChannelsBroker {
	sendToChannel(channel: string, payload: unknown, opts?: { msgID?: string }): Promise<void>;
	/** NatsAdapter over a NATS transporter, else the Fake adapter. */
	channelAdapter?: object;
}

export const channelsOf = (broker: ServiceBroker) => broker as ServiceBroker & ChannelsBroker;

/** The raw message a handler gets with the payload over JetStream (the Fake adapter's has neither). */
export interface ChannelDelivery {
	/** Tells JetStream the message is still being worked on (its ACK_WAIT_MS starts again). */
	working?(): void;
	info?: { redeliveryCount?: number };
}

function usesJetStream(env: Pick<Env, "transporter">): boolean {
	return !!env.transporter && /^nats:\/\//i.test(env.transporter);
}

export function channelsMiddleware(env: Env): Middleware {
	const common = { serializer: "Notepack", maxInFlight: MAX_IN_FLIGHT, maxRetries: ADAPTER_MAX_RETRIES };
	const adapter = usesJetStream(env)
		? {
				type: "NATS",
				options: {
					...common,
					nats: {
						url: env.transporter,
						streamConfig: { max_age: 7 * 24 * 3600 * 1e9 },
						consumerOptions: { config: { ack_wait: ACK_WAIT_MS * 1e6 } },
					},
				},
			}
		: { type: "Fake", options: common };
	return ChannelsMiddleware({ adapter } as any) as unknown as Middleware;
}
