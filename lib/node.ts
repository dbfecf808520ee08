/**
 * Builds one node: a broker with the configured services. Used by index.ts (npm start)
 * and by the tests, so both run the same code path.
 */
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { brokerOptions, type Env, type ServiceName } from "../moleculer.config";
import { SERVICES } from "../services";
import { TenantMiddleware } from "./tenant.middleware";
import { InputMiddleware } from "./input.middleware";
import { channelsMiddleware } from "../services/import/import.channels";

export interface NodeOptions {
	env: Env;
	broker?: Partial<BrokerOptions>;
	/** Per-service schema overrides (e.g. the gateway's port in tests). */
	overrides?: Partial<Record<ServiceName, Record<string, unknown>>>;
}

export function createNode({ env, broker, overrides }: NodeOptions): ServiceBroker {
	const options = brokerOptions(env, broker);
	options.middlewares = [...(options.middlewares ?? []), TenantMiddleware, InputMiddleware];
	// Reliable channels (import chunks, outbox entries: every service relays its outbox):
	// JetStream over the NATS transporter, in-process otherwise.
	options.middlewares.push(channelsMiddleware(env));
	const b = new ServiceBroker(options);
	for (const name of env.services) {
		const schema = SERVICES[name];
		const extra = overrides?.[name];
		b.createService(extra ? { mixins: [schema], ...extra, name: schema.name } : schema);
	}
	return b;
}
