/** The address and URL rules of webhooks.ssrf.ts, without a network. */
import assert from "node:assert/strict";
import { checkRegisteredUrl, checkUrl, forbiddenAddress } from "../webhooks.ssrf";

const strict = { allowHttp: false, allowPrivate: false };

describe("Webhooks SSRF rules", () => {
	it("when an address is loopback, private, link-local, CGNAT, unspecified, multicast, documentation, mapped or a wrapper of those, then it is forbidden", () => {
		for (const ip of [
			"127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.255",
			"0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "192.0.0.192",
			"::", "::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::ffff:7f00:1", "::127.0.0.1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "ff02::1", "2001:db8::1",
			"64:ff9b::10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:c0a8:101::", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
		]) {
			assert.ok(forbiddenAddress(ip), ip);
		}
	});

	it("when an address is public unicast, then it is allowed", () => {
		for (const ip of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.253.1.1", "2606:4700:4700::1111", "2a00:1450:4007:80e::200e", "64:ff9b::808:808", "2002:808:808::1"]) {
			assert.equal(forbiddenAddress(ip), null, ip);
		}
	});

	it("when a host resolves to several addresses and one is private, then the URL is refused; all public, then the first is the target", async () => {
		const lookup = (addrs: string[]) => async () => addrs.map(address => ({ address, family: address.includes(":") ? 6 : 4 }));
		await assert.rejects(checkUrl("https://rebind.example/hook", strict, lookup(["93.184.216.34", "10.0.0.5"])), (e: any) => e.type === "URL_NOT_ALLOWED" && /10\.0\.0\.0\/8/.test(e.message));
		const t = await checkUrl("https://ok.example/hook", strict, lookup(["93.184.216.34", "2606:2800:220:1::"]));
		assert.equal(t.address, "93.184.216.34");
		assert.equal(t.url.hostname, "ok.example");
		await assert.rejects(checkUrl("https://nowhere.example/", strict, async () => Promise.reject(Object.assign(new Error("nx"), { code: "ENOTFOUND" }))), (e: any) => e.type === "URL_NOT_ALLOWED" && /ENOTFOUND/.test(e.message));
		await assert.rejects(checkUrl("http://ok.example/hook", strict, lookup(["93.184.216.34"])), (e: any) => e.type === "URL_NOT_ALLOWED" && /https/.test(e.message));
		assert.equal((await checkUrl("http://ok.example/hook", { allowHttp: true, allowPrivate: false }, lookup(["93.184.216.34"]))).address, "93.184.216.34");
		assert.equal((await checkUrl("https://127.0.0.1:8443/", { allowHttp: false, allowPrivate: true })).address, "127.0.0.1");
	});

	it("when a host does not resolve at registration, then it is accepted (each attempt checks it again); a private answer or a localhost name is still refused", async () => {
		const nx = async () => Promise.reject(Object.assign(new Error("nx"), { code: "ENOTFOUND" }));
		await checkRegisteredUrl("https://not-yet.example/hook", strict, nx);
		await assert.rejects(checkRegisteredUrl("https://inside.example/hook", strict, async () => [{ address: "192.168.4.4", family: 4 }]), (e: any) => e.type === "URL_NOT_ALLOWED");
		await assert.rejects(checkRegisteredUrl("https://app.localhost/hook", strict, nx), (e: any) => e.type === "URL_NOT_ALLOWED" && /localhost/.test(e.message));
		await assert.rejects(checkRegisteredUrl("http://not-yet.example/hook", strict, nx), (e: any) => e.type === "URL_NOT_ALLOWED");
	});
});
