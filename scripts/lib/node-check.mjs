// The one Node story: any Node ≥ 20 runs `npm install` (package.json `engines`), and npm
// scripts run on the Node 24 that `npm install` brings (the `node` devDependency: npm puts
// node_modules/.bin first on PATH). The toolchain itself (wrangler, vitest, vite) needs
// Node ≥ 22.12: a script started with an older Node directly says how to run it instead.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
	const script = process.argv[1]?.replace(/^.*[\\/]scripts[\\/]/, "scripts/") ?? "this script";
	process.stderr.write(
		`${script} needs Node.js ≥ 22.12; this is Node ${process.versions.node}.\n` +
			"Run it through npm (`npm start`, `npm test`), which uses the Node 24 that `npm install` brings.\n",
	);
	process.exit(1);
}
