/**
 * What `http_fetch` may reach (how it reads what comes back is in html-to-text.ts).
 * Web-standard APIs only (it type-checks and is tested under Deno too).
 *
 * The guard works on the URL alone, and is applied to the first URL and to every redirect
 * hop. A Worker cannot resolve DNS and its fetch does not report the address it connected
 * to (and DNS-over-HTTPS needs the internet, which a local or air-gapped run lacks), so what
 * a *name* resolves to is never seen. What the guard can do, it does: literal private
 * addresses in every spelling are refused, and a name must look like a public one — a fully
 * qualified name with at least two labels whose last label is an alphabetic top-level domain
 * that is not reserved for private use (`vm`, `db.lan`, `x.internal`, `printer.home`,
 * `a.test` and `localhost` are refused), and not a wildcard-DNS service that maps names to
 * embedded addresses (`127.0.0.1.nip.io`). What it still can't see: a public-looking name
 * (`intranet.example.com`) that the machine's hosts file or resolver maps to a private
 * address. On Cloudflare that is harmless (a Worker's subrequests cannot reach a private
 * network); under `wrangler dev` it is the remaining gap, documented in docs/reliability.md.
 */
import ipaddr from "ipaddr.js";

/**
 * `allowEntry`: the SPARKY_HTTP_FETCH_ALLOW entry that would let this URL through (a refused
 * host or port; not a refused scheme or credentials), for the refusal to name (`allowHint`).
 */
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string; allowEntry?: string };

/**
 * The setting that would allow a refused URL, in words (empty when none would): a refusal
 * names it, so whoever runs Sparky locally knows what to set and where.
 */
export function allowHint(check: UrlCheck): string {
	if (check.ok || !check.allowEntry) return "";
	return ` (to let Sparky reach it when running locally, set SPARKY_HTTP_FETCH_ALLOW=${check.allowEntry} in .dev.vars; never in production)`;
}

/** Ports a public web server plausibly uses; anything else needs an `allow` entry. */
const ALLOWED_PORTS = new Set(["", "80", "443", "8080", "8443"]);

/**
 * Top-level labels that never name a public host: RFC 6761/6762/8375 special-use names,
 * ICANN's reserved `internal`, and the private suffixes routers, VMs and clusters use.
 */
const RESERVED_TLDS = new Set([
	"localhost",
	"local",
	"internal",
	"arpa",
	"test",
	"example",
	"invalid",
	"onion",
	"alt",
	"lan",
	"home",
	"homenet",
	"corp",
	"intranet",
	"private",
	"localdomain",
	"domain",
	"workgroup",
	"intra",
	"priv",
	"svc",
	"cluster",
	"docker",
	"vm",
	"router",
	"gateway",
	"wpad",
	"mail",
]);

/** Wildcard-DNS services whose names resolve to an address spelled inside the name. */
const REBINDING_SUFFIXES = [
	"nip.io",
	"sslip.io",
	"xip.io",
	"traefik.me",
	"localtest.me",
	"lvh.me",
	"vcap.me",
	"lacolhost.com",
	"fbi.com",
	"localhost.run",
	"1u.ms",
	"rbndr.us",
	"rebind.network",
];

/**
 * Parses and vets a URL the model asked for (or a redirect led to).
 *
 * `allow` holds lower-case `host:port` entries (`127.0.0.1:8787`, `[::1]:8787`,
 * `localhost:8787`) from SPARKY_HTTP_FETCH_ALLOW. An entry exempts that exact host and
 * port from the private-address, reserved-name and port rules. It exists only so a local
 * `wrangler dev` can fetch itself in tests; never set it in production.
 */
export function checkUrl(raw: string, allow: readonly string[]): UrlCheck {
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		return { ok: false, reason: `${JSON.stringify(raw.slice(0, 200))} is not a valid absolute URL` };
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") {
		return { ok: false, reason: `only http: and https: URLs can be fetched, not ${url.protocol}` };
	}
	if (url.username || url.password) {
		return { ok: false, reason: "URLs with credentials (user:password@) are not allowed" };
	}
	// `url.port` is "" for the scheme's default port, so `http://x:80/` reads as port 80 too.
	const port = url.port || (url.protocol === "https:" ? "443" : "80");
	if (allow.includes(`${url.hostname}:${port}`)) return { ok: true, url };

	const allowEntry = `${url.hostname}:${port}`;
	const hostProblem = checkHost(url.hostname);
	if (hostProblem) return { ok: false, reason: hostProblem, allowEntry };
	if (!ALLOWED_PORTS.has(url.port)) {
		return { ok: false, reason: `port ${url.port} is not allowed (only 80, 443, 8080 and 8443)`, allowEntry };
	}
	return { ok: true, url };
}

/** Why a (WHATWG-normalised) hostname is refused, or undefined when it is fine. */
function checkHost(hostname: string): string | undefined {
	if (hostname.startsWith("[")) {
		const ip = hostname.slice(1, -1);
		if (!ipaddr.IPv6.isValid(ip)) return `${hostname} is not a valid IPv6 address`;
		const kind = classifyIPv6(ipaddr.IPv6.parse(ip));
		return kind && describe(hostname, kind);
	}
	// WHATWG URL has already turned every IPv4 spelling (`2130706433`, `0x7f.1`, `0177.0.0.1`)
	// into a dotted quad, so only that form needs reading here.
	if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) {
		const kind = classifyIPv4(ipaddr.IPv4.parse(hostname));
		return kind && `${hostname} is ${article(kind)} address`;
	}
	return checkName(hostname);
}

/**
 * Why a host name can't be a public one, or undefined when it looks like one. No DNS is
 * consulted (see the top of this file): the name alone must look public.
 */
export function checkName(hostname: string): string | undefined {
	// A trailing dot names the same host (`localhost.`).
	const name = hostname.toLowerCase().replace(/\.+$/, "");
	const labels = name.split(".");
	if (labels.length < 2 || labels.some((label) => label === "")) {
		return `${hostname} is a single-label or local host name; only public, fully qualified names can be fetched`;
	}
	const tld = labels.at(-1) ?? "";
	if (RESERVED_TLDS.has(tld)) return `${hostname} is under .${tld}, which is reserved for private or local names`;
	if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) {
		return `${hostname} does not end in a public top-level domain`;
	}
	if (labels.some((label) => !/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label) && !label.startsWith("xn--"))) {
		return `${hostname} is not a valid host name`;
	}
	if (REBINDING_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) {
		return `${hostname} is a wildcard-DNS name that can point anywhere, private addresses included`;
	}
	// `10-0-0-1.example.com`, `127.0.0.1.example.com`: a name that spells an address.
	if (labels.some((label, i) => i < labels.length - 2 && /^\d{1,3}([.-]\d{1,3}){3}$/.test(label))) {
		return `${hostname} spells an IP address in its name`;
	}
	if (/(^|\.)(\d{1,3}\.){3}\d{1,3}\./.test(name)) return `${hostname} spells an IP address in its name`;
	return undefined;
}

function describe(hostname: string, kind: string): string {
	return kind.startsWith("embeds ") ? `${hostname} ${kind}` : `${hostname} is ${article(kind)} address`;
}

const article = (kind: string) => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

// ---- Addresses (ipaddr.js names the ranges; the words and the embedded IPv4s are ours) ----

/**
 * What each of ipaddr.js's special ranges is called in a refusal. Every range it does not
 * call "unicast" is refused, named here or not: a range a later ipaddr.js adds is refused
 * as "reserved (<its name>)" until it gets words here.
 */
const IPV4_KINDS: Record<string, string> = {
	unspecified: "unspecified (0.0.0.0/8)",
	broadcast: "broadcast",
	multicast: "multicast (224.0.0.0/4)",
	linkLocal: "link-local (169.254.0.0/16, which includes cloud metadata)",
	loopback: "loopback",
	carrierGradeNat: "carrier-grade NAT (100.64.0.0/10)",
	private: "private (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)",
	reserved: "reserved (IETF, documentation, benchmarking or 240.0.0.0/4)",
	as112: "reserved (AS112 DNS sink)",
	amt: "reserved (AMT relay anycast)",
};

const IPV6_KINDS: Record<string, string> = {
	unspecified: "unspecified",
	loopback: "loopback",
	linkLocal: "link-local (fe80::/10)",
	multicast: "multicast (ff00::/8)",
	uniqueLocal: "private (unique local fc00::/7)",
	deprecatedSiteLocal: "private (site-local fec0::/10)",
	discard: "reserved (discard-only 100::/64)",
	rfc6052: "private (NAT64 local-use 64:ff9b:1::/48)",
	benchmarking: "reserved (benchmarking 2001:2::/48)",
	reserved: "reserved (IETF 2001::/23, or documentation 2001:db8::/32 or 3fff::/20)",
};

/** The kind of non-public address (e.g. "loopback"), or undefined for a public one. */
function classifyIPv4(address: ipaddr.IPv4): string | undefined {
	const range = address.range();
	return range === "unicast" ? undefined : (IPV4_KINDS[range] ?? `reserved (${range})`);
}

/** The well-known NAT64 prefix, which carries the IPv4 in its last 32 bits (64:ff9b:1::/48 does not). */
const NAT64 = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

const v4From = (hi = 0, lo = 0) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/**
 * The kind of non-public address, "embeds …" for a wrapped private IPv4, or undefined.
 * ipaddr.js finds the wrapping ranges; where the IPv4 sits inside each is read here (it has
 * no reader for NAT64, 6to4 or Teredo), and so is ::/8, which it calls unicast.
 */
function classifyIPv6(address: ipaddr.IPv6): string | undefined {
	const [g0 = 0, g1, g2, , , , g6 = 0, g7 = 0] = address.parts;
	const embedded = (v4: ipaddr.IPv4) => {
		const kind = classifyIPv4(v4);
		return kind && `embeds ${v4.toString()}, which is ${article(kind)} address`;
	};
	const range = address.range();
	switch (range) {
		// ::ffff:a.b.c.d (IPv4-mapped) and ::ffff:0:a.b.c.d (IPv4-translated, SIIT).
		case "ipv4Mapped":
		case "rfc6145":
			return embedded(v4From(g6, g7));
		// NAT64: 64:ff9b::a.b.c.d carries the IPv4 at the end; 64:ff9b:1::/48 is local use.
		case "rfc6052":
			return address.match(NAT64) ? embedded(v4From(g6, g7)) : IPV6_KINDS.rfc6052;
		// 6to4: 2002:AABB:CCDD::/48 carries the IPv4 in groups 1-2.
		case "6to4":
			return embedded(v4From(g1, g2));
		// Teredo: 2001:0::/32 carries the client IPv4, inverted, in the last 32 bits.
		case "teredo":
			return embedded(v4From(g6 ^ 0xffff, g7 ^ 0xffff));
		case "unicast":
			// The deprecated IPv4-compatible ::a.b.c.d (:: and ::1 are ranges of their own).
			if (address.parts.slice(0, 6).every((g) => g === 0)) return embedded(v4From(g6, g7));
			// Anything else under ::/8 is reserved and never a public server.
			return g0 < 0x100 ? "reserved (::/8)" : undefined;
		default:
			return IPV6_KINDS[range] ?? `reserved (${range})`;
	}
}
