import { describe, expect, it } from "vitest";
import { checkUrl } from "../../src/tools/net-guard.ts";

const reason = (raw: string, allow: string[] = []) => {
	const result = checkUrl(raw, allow);
	return result.ok ? "ok" : result.reason;
};

describe("checkUrl: public hosts", () => {
	it.each([
		["https://example.com/x"],
		["http://example.com/"],
		["http://93.184.216.34/"],
		["https://example.com:8443/a?b=c#d"],
		["http://example.com:8080/"],
		["http://example.com:80/"],
		["https://example.com:443/"],
		["http://[2606:4700:4700::1111]/"],
		["http://[::ffff:8.8.8.8]/"],
		["http://[2002:5db8:d822::1]/"],
		["https://sub.example.co.uk/path"],
		["https://localhost.example.com/"],
		["http://172.32.0.1/"],
		["http://100.128.0.1/"],
		["http://11.0.0.1/"],
	])("allows %s", (raw) => {
		expect(reason(raw)).toBe("ok");
	});

	it("hands back the parsed, normalised URL", () => {
		const result = checkUrl("  HTTPS://Example.COM/a b", []);
		expect(result.ok && result.url.href).toBe("https://example.com/a%20b");
	});
});

describe("checkUrl: private and reserved IPv4", () => {
	it.each([
		["http://127.0.0.1/", "127.0.0.1 is a loopback address"],
		["http://127.255.255.254/", "loopback"],
		["http://10.0.0.1/", "private"],
		["http://10.255.255.255/", "private"],
		["http://172.16.0.1/", "private"],
		["http://172.31.255.255/", "private"],
		["http://192.168.1.1/", "private"],
		["http://169.254.169.254/latest/meta-data", "link-local"],
		["http://169.254.0.1/", "link-local"],
		["http://100.64.0.1/", "carrier-grade NAT"],
		["http://100.127.255.255/", "carrier-grade NAT"],
		["http://0.0.0.0/", "unspecified"],
		["http://0.1.2.3/", "unspecified"],
		["http://224.0.0.1/", "multicast"],
		["http://239.255.255.250/", "multicast"],
		["http://240.0.0.1/", "reserved"],
		["http://255.255.255.255/", "broadcast"],
		["http://192.0.0.1/", "reserved"],
		["http://198.18.0.1/", "reserved"],
	])("refuses %s (%s)", (raw, why) => {
		expect(reason(raw)).toContain(why);
	});

	// WHATWG URL turns all of these into 127.0.0.1 (or 0.0.0.0) before the guard looks.
	it.each([
		["http://2130706433/", "127.0.0.1 is a loopback address"],
		["http://0x7f.1/", "127.0.0.1 is a loopback address"],
		["http://0x7f000001/", "127.0.0.1 is a loopback address"],
		["http://0177.0.0.1/", "127.0.0.1 is a loopback address"],
		["http://127.1/", "127.0.0.1 is a loopback address"],
		["http://127.0.0.1./", "127.0.0.1 is a loopback address"],
		["http://0/", "0.0.0.0 is an unspecified"],
		["http://3232235777/", "192.168.1.1 is a private"],
		["http://0xa9fea9fe/", "169.254.169.254 is a link-local"],
	])("refuses the shorthand %s", (raw, why) => {
		expect(reason(raw)).toContain(why);
	});
});

describe("checkUrl: private and reserved IPv6", () => {
	it.each([
		["http://[::1]/", "[::1] is a loopback address"],
		["http://[0:0:0:0:0:0:0:1]/", "loopback"],
		["http://[::]/", "unspecified"],
		["http://[fc00::1]/", "private"],
		["http://[fd12:3456:789a::1]/", "private"],
		["http://[fe80::1]/", "link-local"],
		["http://[febf:ffff::1]/", "link-local"],
		["http://[fec0::1]/", "site-local"],
		["http://[ff02::1]/", "multicast"],
		["http://[2001:db8::1]/", "documentation"],
		["http://[100::1]/", "discard"],
		["http://[64:ff9b:1::1]/", "NAT64"],
	])("refuses %s (%s)", (raw, why) => {
		expect(reason(raw)).toContain(why);
	});

	it.each([
		["http://[::ffff:127.0.0.1]/", "127.0.0.1, which is a loopback address"],
		["http://[::ffff:7f00:1]/", "127.0.0.1, which is a loopback address"],
		["http://[0:0:0:0:0:ffff:7f00:0001]/", "127.0.0.1, which is a loopback address"],
		["http://[::ffff:10.1.2.3]/", "10.1.2.3, which is a private"],
		["http://[::ffff:169.254.169.254]/", "169.254.169.254, which is a link-local"],
		["http://[::127.0.0.1]/", "127.0.0.1, which is a loopback address"],
		["http://[::ffff:0:127.0.0.1]/", "127.0.0.1, which is a loopback address"],
		["http://[64:ff9b::127.0.0.1]/", "127.0.0.1, which is a loopback address"],
		["http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254, which is a link-local"],
		["http://[2002:7f00:1::]/", "127.0.0.1, which is a loopback address"],
		["http://[2002:c0a8:0101::1]/", "192.168.1.1, which is a private"],
		// Teredo stores the client address inverted: ~127.0.0.1 = 80ff:fffe.
		["http://[2001:0:1:2:3:4:80ff:fffe]/", "127.0.0.1, which is a loopback address"],
	])("refuses the embedded IPv4 in %s", (raw, why) => {
		expect(reason(raw)).toContain(why);
	});
});

// ipaddr.js names the special ranges. Where its list differs from the guard's own (before it
// used the library), the stricter answer wins: these were let through before and are refused now,
// or ipaddr.js calls them unicast and the guard still refuses them.
describe("checkUrl: ranges ipaddr.js and the guard disagree on (the stricter wins)", () => {
	it.each([
		// Refused since ipaddr.js: documentation (TEST-NET-1/2/3), the retired 6to4 relay anycast,
		// AS112 DNS sinks and AMT relays; none of them is a public web server.
		["http://192.0.2.1/", "reserved"],
		["http://198.51.100.7/", "reserved"],
		["http://203.0.113.9/", "reserved"],
		["http://192.88.99.1/", "reserved"],
		["http://192.175.48.1/", "AS112"],
		["http://192.31.196.1/", "AS112"],
		["http://192.52.193.1/", "AMT"],
		["http://[::ffff:192.0.2.1]/", "192.0.2.1, which is a reserved"],
		["http://[3fff::1]/", "documentation"],
		["http://[2001:2::1]/", "benchmarking"],
		["http://[2001:3::1]/", "reserved (amt)"],
		["http://[2001:4:112::1]/", "reserved (as112v6)"],
		["http://[2620:4f:8000::1]/", "reserved (as112v6)"],
		["http://[2001:10::1]/", "reserved (deprecatedOrchid)"],
		["http://[2001:20::1]/", "reserved (orchid2)"],
		["http://[2001:30::1]/", "reserved (droneRemoteIdProtocolEntityTags)"],
		["http://[2001:100::1]/", "reserved (IETF 2001::/23"],
		["http://[5f00::1]/", "reserved (segmentRouting)"],
		// ipaddr.js calls these unicast; the guard keeps refusing them.
		["http://[::127.0.0.1]/", "127.0.0.1, which is a loopback address"],
		["http://[::2]/", "0.0.0.2, which is an unspecified"],
		["http://[1:2::3]/", "reserved (::/8)"],
		["http://[ff:ff::1]/", "reserved (::/8)"],
	])("refuses %s (%s)", (raw, why) => {
		expect(reason(raw)).toContain(why);
	});

	it.each([
		// Public addresses next to those ranges stay public.
		["http://192.0.3.1/"],
		["http://198.51.101.1/"],
		["http://203.0.114.1/"],
		["http://[2001:200::1]/"],
		["http://[2001:db9::1]/"],
		["http://[4000::1]/"],
		["http://[::8.8.8.8]/"],
		["http://[64:ff9b::8.8.8.8]/"],
		// Teredo and 6to4 are judged by the IPv4 they carry: here a public one.
		["http://[2001:0:1:2:3:4:f7f7:f7f7]/"],
	])("allows %s", (raw) => {
		expect(reason(raw)).toBe("ok");
	});
});

describe("checkUrl: host names", () => {
	it.each([
		["http://localhost/"],
		["http://LOCALHOST:80/"],
		["http://localhost./"],
		["http://api.localhost/"],
		["http://printer.local/"],
		["http://db.internal/"],
		["http://nas.home.arpa/"],
		["http://metadata/"],
		["http://metadata.google.internal/computeMetadata/v1/"],
		// single-label names a hosts file or search domain may map anywhere (issue #14)
		["http://vm:8080/"],
		["http://db/"],
		["http://intranet./"],
		// private or special-use top-level domains
		["http://db.lan/"],
		["http://printer.home/"],
		["http://a.test/"],
		["http://x.example/"],
		["http://build.corp:8080/"],
		["http://svc.cluster/"],
		["http://x.onion/"],
		// not a top-level domain at all
		["http://a.b_c/"],
		// wildcard DNS that resolves to the address in the name
		["http://127.0.0.1.nip.io/"],
		["http://10-0-0-1.sslip.io/"],
		["http://app.localtest.me/"],
		["http://127.0.0.1.evil.com/"],
		["http://10-0-0-1.evil.com/"],
	])("refuses %s", (raw) => {
		expect(reason(raw)).toMatch(
			/local host name|reserved for private|top-level domain|wildcard-DNS|spells an IP|valid host name/,
		);
	});
});

describe("checkUrl: schemes, credentials, ports", () => {
	it.each([
		["file:///etc/passwd", "file:"],
		["ftp://example.com/", "ftp:"],
		["javascript:alert(1)", "javascript:"],
		["data:text/html,<b>x</b>", "data:"],
		["ws://example.com/", "ws:"],
	])("refuses the scheme of %s", (raw, scheme) => {
		expect(reason(raw)).toBe(`only http: and https: URLs can be fetched, not ${scheme}`);
	});

	it.each([["http://user:pass@example.com/"], ["https://user@example.com/"], ["https://:secret@example.com/"]])(
		"refuses credentials in %s",
		(raw) => {
			expect(reason(raw)).toContain("credentials");
		},
	);

	it.each([
		["http://example.com:22/"],
		["https://example.com:8000/"],
		["http://example.com:6379/"],
		["http://example.com:8787/"],
	])("refuses the port of %s", (raw) => {
		expect(reason(raw)).toMatch(/^port \d+ is not allowed/);
	});

	it.each([["not a url"], ["/relative/path"], ["http://"], ["http://exa mple.com/"], [""]])("refuses %j", (raw) => {
		expect(reason(raw)).toContain("not a valid absolute URL");
	});

	it("names the host problem before the port one", () => {
		expect(reason("http://127.0.0.1:8787/")).toBe("127.0.0.1 is a loopback address");
	});
});

describe("checkUrl: allow list", () => {
	it("lets an exact host:port through", () => {
		expect(reason("http://127.0.0.1:8787/api/health", ["127.0.0.1:8787"])).toBe("ok");
		expect(reason("http://localhost:8787/", ["localhost:8787"])).toBe("ok");
		expect(reason("http://[::1]:8787/", ["[::1]:8787"])).toBe("ok");
	});

	it("matches the scheme's default port", () => {
		expect(reason("http://10.0.0.5/", ["10.0.0.5:80"])).toBe("ok");
		expect(reason("https://10.0.0.5/", ["10.0.0.5:80"])).toContain("private");
	});

	it("is exact: another port or host is still refused", () => {
		expect(reason("http://127.0.0.1:8788/", ["127.0.0.1:8787"])).toContain("loopback");
		expect(reason("http://127.0.0.2:8787/", ["127.0.0.1:8787"])).toContain("loopback");
		expect(reason("http://2130706433:8787/", ["127.0.0.1:8787"])).toBe("ok");
	});

	it("does not excuse credentials or a bad scheme", () => {
		expect(reason("http://a:b@127.0.0.1:8787/", ["127.0.0.1:8787"])).toContain("credentials");
		expect(reason("ftp://127.0.0.1:8787/", ["127.0.0.1:8787"])).toContain("only http:");
	});
});
