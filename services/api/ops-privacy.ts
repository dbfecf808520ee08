/**
 * What the unauthenticated ops routes may tell. /metrics keeps what operators need (requests,
 * latencies, errors, registry and channel counts, memory, CPU and load, uptime) and drops what
 * tells an attacker about the host: its name, network interfaces and addresses, the process's
 * arguments, pid and parent pid, the OS user, the kernel release, the CPU model and the exact
 * Node.js version; and no sample carries the node id (by default `<hostname>-<pid>`): each
 * gateway serves its own node's metrics, and Prometheus labels each target itself.
 */

/** Metric families never served. */
const HIDDEN = /^(os_hostname|os_network_\w+|os_user_\w+|os_release|os_cpu_info_\w+|process_arguments|process_pid|process_ppid|process_versions_\w+)$/;
const NODE_LABEL = /(?<=[{,])nodeID="(?:[^"\\]|\\.)*",?|,nodeID="(?:[^"\\]|\\.)*"(?=})/g;
/** A per-node event group (`booking-guard@<nodeID>`, as booking-guard listens) names its node: keep the service part. */
const NODE_GROUP = /(\bgroup="[^"@]*)@(?:[^"\\]|\\.)*"/g;

/** Prometheus text without the hidden families and without nodeID labels. */
export function publicMetrics(text: string): string {
	const out: string[] = [];
	for (const line of text.split("\n")) {
		const name = line.startsWith("#") ? line.split(" ")[2] : line.split(/[{ ]/, 1)[0];
		if (name && HIDDEN.test(name)) continue;
		const kept = line.includes("nodeID=") ? line.replace(NODE_LABEL, "").replace("{}", "") : line;
		out.push(kept.includes("@") ? kept.replace(NODE_GROUP, '$1"') : kept);
	}
	return out.join("\n");
}
