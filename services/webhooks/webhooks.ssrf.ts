/**
 * Where a webhook may be sent. A URL is checked when it is registered and again before
 * every attempt: `https:` only (unless WEBHOOK_ALLOW_HTTP), and every address its host
 * resolves to must be a public unicast address (unless WEBHOOK_ALLOW_PRIVATE): no
 * loopback, private, CGNAT, link-local (cloud metadata), unspecified, multicast,
 * documentation, IPv4-mapped / -compatible IPv6, nor NAT64 / 6to4 / Teredo wrappers of such
 * addresses. The sender then connects to the address that was checked (no second lookup a
 * rebinding DNS server could answer differently).
 */
import dns from "node:dns/promises";
import net from "node:net";
import { UrlNotAllowedError } from "./webhooks.errors";

export interface UrlPolicy {
	allowHttp: boolean;
	allowPrivate: boolean;
}

export interface Target {
	url: URL;
	/** The checked address the sender connects to. */
	address: string;
	family: 4 | 6;
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** A resolver that does not answer within this is taken as "does not resolve". */
const LOOKUP_TIMEOUT_MS = 5000;

const systemLookup: Lookup = host =>
	new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(Object.assign(new Error("DNS lookup timed out"), { code: "ETIMEOUT" })), LOOKUP_TIMEOUT_MS);
		dns.lookup(host, { all: true, verbatim: true }).then(
			r => {
				clearTimeout(timer);
				resolve(r);
			},
			err => {
				clearTimeout(timer);
				reject(err);
			},
		);
	});

// ---------------------------------------------------------------- address ranges

type Range = [base: bigint, prefix: number, reason: string];

function v4ToInt(ip: string): bigint {
	return ip.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** An IPv6 address (any textual form, zone dropped) as a 128-bit integer. */
function v6ToInt(ip: string): bigint {
	let s = ip.split("%")[0].toLowerCase();
	const dotted = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
	if (dotted) {
		const n = Number(v4ToInt(dotted[2]));
		s = `${dotted[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
	}
	const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
	const h = head ? head.split(":") : [];
	const t = tail ? tail.split(":") : [];
	const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
	return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || "0", 16)), 0n);
}

const V4: Range[] = [
	["0.0.0.0", 8, "an unspecified address (0.0.0.0/8)"],
	["10.0.0.0", 8, "a private address (10.0.0.0/8)"],
	["100.64.0.0", 10, "a shared CGNAT address (100.64.0.0/10)"],
	["127.0.0.0", 8, "a loopback address (127.0.0.0/8)"],
	["169.254.0.0", 16, "a link-local address (169.254.0.0/16, cloud metadata)"],
	["172.16.0.0", 12, "a private address (172.16.0.0/12)"],
	["192.0.0.0", 24, "an IETF protocol address (192.0.0.0/24)"],
	["192.0.2.0", 24, "a documentation address (192.0.2.0/24)"],
	["192.88.99.0", 24, "a 6to4 relay address (192.88.99.0/24)"],
	["192.168.0.0", 16, "a private address (192.168.0.0/16)"],
	["198.18.0.0", 15, "a benchmarking address (198.18.0.0/15)"],
	["198.51.100.0", 24, "a documentation address (198.51.100.0/24)"],
	["203.0.113.0", 24, "a documentation address (203.0.113.0/24)"],
	["224.0.0.0", 4, "a multicast address (224.0.0.0/4)"],
	["240.0.0.0", 4, "a reserved or broadcast address (240.0.0.0/4)"],
].map(([base, prefix, reason]) => [v4ToInt(base as string), prefix as number, reason as string]);

const V6: Range[] = [
	["::", 128, "the unspecified address (::)"],
	["::1", 128, "the loopback address (::1)"],
	["::ffff:0:0", 96, "an IPv4-mapped IPv6 address (::ffff:0:0/96)"],
	["::", 96, "an IPv4-compatible IPv6 address (::/96)"],
	["64:ff9b:1::", 48, "a local NAT64 address (64:ff9b:1::/48)"],
	["100::", 64, "a discard address (100::/64)"],
	["2001::", 32, "a Teredo address (2001::/32)"],
	["2001:db8::", 32, "a documentation address (2001:db8::/32)"],
	["fc00::", 7, "a unique-local (private) address (fc00::/7)"],
	["fe80::", 10, "a link-local address (fe80::/10)"],
	["fec0::", 10, "a site-local address (fec0::/10)"],
	["ff00::", 8, "a multicast address (ff00::/8)"],
].map(([base, prefix, reason]) => [v6ToInt(base as string), prefix as number, reason as string]);

const inRange = (n: bigint, bits: number, [base, prefix]: Range) => n >> BigInt(bits - prefix) === base >> BigInt(bits - prefix);

/** Why an address may not receive webhooks, or null when it is a public unicast address. */
export function forbiddenAddress(ip: string): string | null {
	if (net.isIPv4(ip)) {
		const n = v4ToInt(ip);
		return V4.find(r => inRange(n, 32, r))?.[2] ?? null;
	}
	if (!net.isIPv6(ip)) return "not an IP address";
	const n = v6ToInt(ip);
	const hit = V6.find(r => inRange(n, 128, r));
	if (hit) return hit[2];
	// Wrappers of an IPv4 address: judge the address inside.
	const embedded = (v: bigint) => [Number((v >> 24n) & 255n), Number((v >> 16n) & 255n), Number((v >> 8n) & 255n), Number(v & 255n)].join(".");
	if (n >> 32n === v6ToInt("64:ff9b::") >> 32n) {
		const inner = forbiddenAddress(embedded(n & 0xffffffffn));
		if (inner) return `a NAT64 address wrapping ${inner}`;
	}
	if (n >> 112n === 0x2002n) {
		const inner = forbiddenAddress(embedded((n >> 80n) & 0xffffffffn));
		if (inner) return `a 6to4 address wrapping ${inner}`;
	}
	return null;
}

// ---------------------------------------------------------------- URLs

const MAX_URL = 2048;

/** The URL's syntax and scheme; throws 422 VALIDATION_ERROR-like URL_NOT_ALLOWED. */
function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new UrlNotAllowedError("it is not an absolute URL");
	}
	if (raw.length > MAX_URL) throw new UrlNotAllowedError(`it is longer than ${MAX_URL} characters`);
	if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp)) {
		throw new UrlNotAllowedError(policy.allowHttp ? "only http: and https: URLs receive webhooks" : "only https: URLs receive webhooks");
	}
	if (!url.hostname) throw new UrlNotAllowedError("it has no host");
	if (!policy.allowPrivate && /(^|\.)localhost\.?$/i.test(url.hostname)) throw new UrlNotAllowedError("localhost names are loopback addresses");
	if (url.username || url.password) throw new UrlNotAllowedError("credentials in the URL are not accepted (use the signature to authenticate us)");
	return url;
}

class UnresolvedHostError extends UrlNotAllowedError {
	readonly unresolved = true;
}

/**
 * Resolves the URL's host and checks every address it has (one bad address refuses the
 * URL: a resolver may hand out any of them). Answers the address to connect to.
 */
async function resolveTarget(url: URL, policy: UrlPolicy, lookup: Lookup = systemLookup): Promise<Target> {
	const host = url.hostname.replace(/^\[|\]$/g, "");
	let addresses: Array<{ address: string; family: number }>;
	if (net.isIP(host)) addresses = [{ address: host, family: net.isIP(host) }];
	else {
		try {
			addresses = await lookup(host);
		} catch (err: any) {
			throw new UnresolvedHostError(`its host does not resolve (${err?.code ?? "DNS error"})`);
		}
	}
	if (!addresses.length) throw new UnresolvedHostError("its host does not resolve");
	if (!policy.allowPrivate) {
		for (const a of addresses) {
			const why = forbiddenAddress(a.address);
			if (why) throw new UrlNotAllowedError(`its host resolves to ${why}`);
		}
	}
	const first = addresses[0];
	return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** Both checks: what every attempt runs before connecting. */
export async function checkUrl(raw: string, policy: UrlPolicy, lookup?: Lookup): Promise<Target> {
	return resolveTarget(parseWebhookUrl(raw, policy), policy, lookup);
}

/**
 * Registration: the same checks, except that a host that does not resolve (yet, or from
 * here) is accepted: it has no address to refuse, and every attempt resolves and checks it
 * again before connecting (an attempt to a host that does not resolve fails and is retried).
 */
export async function checkRegisteredUrl(raw: string, policy: UrlPolicy, lookup?: Lookup): Promise<void> {
	try {
		await checkUrl(raw, policy, lookup);
	} catch (err) {
		if (!(err instanceof UnresolvedHostError)) throw err;
	}
}
