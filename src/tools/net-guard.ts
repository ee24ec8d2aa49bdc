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
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

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

	const hostProblem = checkHost(url.hostname);
	if (hostProblem) return { ok: false, reason: hostProblem };
	if (!ALLOWED_PORTS.has(url.port)) {
		return { ok: false, reason: `port ${url.port} is not allowed (only 80, 443, 8080 and 8443)` };
	}
	return { ok: true, url };
}

/** Why a (WHATWG-normalised) hostname is refused, or undefined when it is fine. */
function checkHost(hostname: string): string | undefined {
	if (hostname.startsWith("[")) {
		const ip = hostname.slice(1, -1);
		const groups = parseIPv6(ip);
		if (!groups) return `${hostname} is not a valid IPv6 address`;
		const kind = classifyIPv6(groups);
		return kind && describe(hostname, kind);
	}
	const v4 = parseIPv4(hostname);
	if (v4) {
		const kind = classifyIPv4(v4);
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

// ---- IPv4 ---------------------------------------------------------------------------------

/**
 * WHATWG URL has already turned every IPv4 spelling (`2130706433`, `0x7f.1`, `0177.0.0.1`)
 * into a dotted quad, so only that form needs reading here.
 */
function parseIPv4(host: string): number[] | undefined {
	const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (!match) return undefined;
	const bytes = match.slice(1).map(Number);
	return bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** [leading bytes of the range, prefix length in bits, kind]; broadcast first, as it is inside 240/4. */
const IPV4_RANGES: [number[], number, string][] = [
	[[255, 255, 255, 255], 32, "broadcast"],
	[[0], 8, "unspecified (0.0.0.0/8)"],
	[[10], 8, "private (10.0.0.0/8)"],
	[[100, 64], 10, "carrier-grade NAT (100.64.0.0/10)"],
	[[127], 8, "loopback"],
	[[169, 254], 16, "link-local (169.254.0.0/16, which includes cloud metadata)"],
	[[172, 16], 12, "private (172.16.0.0/12)"],
	[[192, 0, 0], 24, "reserved (192.0.0.0/24)"],
	[[192, 168], 16, "private (192.168.0.0/16)"],
	[[198, 18], 15, "reserved benchmarking (198.18.0.0/15)"],
	[[224], 4, "multicast (224.0.0.0/4)"],
	[[240], 4, "reserved (240.0.0.0/4)"],
];

const toUint32 = (b: number[]) => (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;

function inRange(address: number, base: number[], bits: number): boolean {
	const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
	return (address & mask) >>> 0 === (toUint32(base) & mask) >>> 0;
}

/** The kind of non-public address (e.g. "loopback"), or undefined for a public one. */
function classifyIPv4(bytes: number[]): string | undefined {
	const address = toUint32(bytes);
	return IPV4_RANGES.find(([base, bits]) => inRange(address, base, bits))?.[2];
}

// ---- IPv6 ---------------------------------------------------------------------------------

/** Eight 16-bit groups, or undefined. Accepts `::` and a dotted IPv4 tail. */
function parseIPv6(text: string): number[] | undefined {
	const halves = text.split("::");
	if (halves.length > 2) return undefined;
	const read = (part: string): number[] | undefined => {
		if (part === "") return [];
		const out: number[] = [];
		const pieces = part.split(":");
		for (const [i, piece] of pieces.entries()) {
			if (i === pieces.length - 1 && piece.includes(".")) {
				const v4 = parseIPv4(piece);
				if (!v4) return undefined;
				out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
			} else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
				out.push(Number.parseInt(piece, 16));
			} else return undefined;
		}
		return out;
	};
	const head = read(halves[0] ?? "");
	const tail = halves.length === 2 ? read(halves[1] ?? "") : [];
	if (!head || !tail) return undefined;
	if (halves.length === 1) return head.length === 8 ? head : undefined;
	const gap = 8 - head.length - tail.length;
	return gap >= 1 ? [...head, ...new Array<number>(gap).fill(0), ...tail] : undefined;
}

const v4From = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];

/** The kind of non-public address, "embeds …" for a wrapped private IPv4, or undefined. */
function classifyIPv6(g: number[]): string | undefined {
	const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
	const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
	const embedded = (v4: number[]) => {
		const kind = classifyIPv4(v4);
		return kind && `embeds ${v4.join(".")}, which is ${article(kind)} address`;
	};
	if (zeroUpTo(8)) return "unspecified";
	if (zeroUpTo(7) && g7 === 1) return "loopback";
	// ::ffff:a.b.c.d (IPv4-mapped) and the deprecated ::a.b.c.d (IPv4-compatible).
	if (zeroUpTo(5) && (g5 === 0xffff || g5 === 0)) return embedded(v4From(g6, g7));
	// ::ffff:0:a.b.c.d (IPv4-translated, SIIT).
	if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) return embedded(v4From(g6, g7));
	// NAT64: 64:ff9b::a.b.c.d carries the IPv4 at the end; 64:ff9b:1::/48 is local use.
	if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(v4From(g6, g7));
	if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return "private (NAT64 local-use 64:ff9b:1::/48)";
	// 6to4: 2002:AABB:CCDD::/48 carries the IPv4 in groups 1-2.
	if (g0 === 0x2002) return embedded(v4From(g1, g2));
	// Teredo: 2001:0::/32 carries the client IPv4, inverted, in the last 32 bits.
	if (g0 === 0x2001 && g1 === 0) return embedded(v4From(g6 ^ 0xffff, g7 ^ 0xffff));
	if ((g0 & 0xfe00) === 0xfc00) return "private (unique local fc00::/7)";
	if ((g0 & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
	if ((g0 & 0xffc0) === 0xfec0) return "private (site-local fec0::/10)";
	if ((g0 & 0xff00) === 0xff00) return "multicast (ff00::/8)";
	if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "reserved (discard-only 100::/64)";
	if (g0 === 0x2001 && g1 === 0xdb8) return "reserved (documentation 2001:db8::/32)";
	// Anything else under ::/8 is reserved and never a public server.
	if (g0 < 0x100) return "reserved (::/8)";
	return undefined;
}
