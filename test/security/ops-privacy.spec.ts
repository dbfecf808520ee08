/**
 * The unauthenticated ops routes tell operators what they need and an attacker nothing about
 * the host: no hostname, network addresses, process arguments, pid, OS user or node id.
 */
import assert from "node:assert/strict";
import os from "node:os";
import { app, type Running } from "../support/app";

describe("Ops routes do not leak the host", function () {
	let a: Running;

	before(async () => {
		a = await app();
		await a.http.get("/club"); // at least one request counted
	});

	it("when /metrics is fetched, then it has the request, memory and CPU figures but no hostname, address, argument, pid, user or node id", async () => {
		const res = await a.http.get("/metrics");
		assert.equal(res.status, 200);
		const text = res.text;
		for (const kept of ["moleculer_request_total", "moleculer_request_time", "process_memory_heap_size_used", "os_memory_free", "os_cpu_load_1", "process_uptime"]) {
			assert.match(text, new RegExp(`^${kept}`, "m"), `${kept} is kept`);
		}
		for (const gone of ["os_hostname", "os_network_address", "os_network_mac", "process_arguments", "process_pid", "process_ppid", "os_user_username", "os_user_homedir", "os_release", "os_cpu_info_model", "process_versions_node"]) {
			assert.doesNotMatch(text, new RegExp(`^(# (HELP|TYPE) )?${gone}\\b`, "m"), `${gone} is dropped`);
		}
		const nodeID = a.brokers[0].nodeID;
		const secrets = [
			nodeID,
			`nodeID=`,
			os.hostname().length >= 4 ? os.hostname() : null,
			`"${process.pid}"`,
			` ${process.pid}\n`,
			os.userInfo().homedir,
			...process.argv.filter(arg => arg.length >= 8),
			...Object.values(os.networkInterfaces()).flatMap(list => (list ?? []).filter(i => !i.internal).flatMap(i => [i.address, i.mac])),
		].filter((s): s is string => !!s);
		for (const secret of secrets) assert.ok(!text.includes(secret), `/metrics shows ${JSON.stringify(secret)}`);
	});

	it("when /health and /ready are fetched, then they say ok without the node id", async () => {
		const health = await a.http.get("/health");
		assert.deepEqual(health.body, { status: "ok" });
		const ready = await a.http.get("/ready");
		assert.equal(ready.status, 200);
		assert.ok(!ready.text.includes(a.brokers[0].nodeID));
		assert.ok(!ready.text.includes(os.hostname()) || os.hostname().length < 4);
	});
});
