/**
 * One cluster node for the guard benchmark: the configured services (SERVICES, as `npm start`
 * runs them, through lib/node.ts) plus, with BENCH_ECHO=1, a no-op action `bench-echo.noop`
 * in the same process, the baseline round trip.
 */
import { readEnv } from "../../moleculer.config";
import { createNode } from "../../lib/node";

async function main(): Promise<void> {
	const broker = createNode({ env: readEnv() });
	if (process.env.BENCH_ECHO === "1") {
		broker.createService({
			name: "bench-echo",
			settings: { tenant: false },
			actions: {
				noop: {
					handler() {
						return { ok: true };
					},
				},
			},
		});
	}
	await broker.start();
	if (broker.getLocalService("api")) (broker.getLocalService("api") as any).refreshAliases();
	console.log("BENCH NODE READY");
	const stop = () => void broker.stop().finally(() => process.exit(0));
	process.on("SIGTERM", stop);
	process.on("SIGINT", stop);
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
