// Check recorded REST requests with the server's own request validators.
//
//   node tests/conformance/check.mjs --cache CACHE --requests FILE [--json OUT] [--route 'POST x'] VERSION...
//
// FILE: JSON Lines of {method, route, query, body} (what the emulator records, see
// tests/emulator/rest.py); CACHE/<VERSION>/rest-typings: `@rocket.chat/rest-typings` as
// tests/conformance/setup.mjs leaves it. For each version, each endpoint is mapped to the
// validator the package pairs with it: its `Endpoints` type gives `'/v1/<route>': { GET|POST:
// (params: T) => ... }`, and the package exports `isT` or `isTProps`, an ajv-compiled
// function. Each request's query and body, merged as the server's `validateParams` sees them,
// goes through that function. Prints an endpoint x version table (ok / refused / no validator),
// writes the details as JSON to OUT, and exits 1 if any request is refused.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

register('./hooks.mjs', import.meta.url);

// Where the package's pairing is not what the server applies (checked in RocketChat/Rocket.Chat).
const NOT_APPLIED = {
	'POST login':
		'isLoginProps is not applied: apps/meteor/app/api/server/ApiClass.ts registers login ' +
		'without validateParams, and its loginCompatibility takes `user` as a string',
};

function parseArgs(argv) {
	const args = { versions: [], routes: [] };
	for (let i = 0; i < argv.length; i += 1) {
		const flag = argv[i];
		if (flag === '--cache') args.cache = argv[++i];
		else if (flag === '--requests') args.requests = argv[++i];
		else if (flag === '--json') args.json = argv[++i];
		else if (flag === '--route') args.routes.push(argv[++i]);
		else args.versions.push(flag);
	}
	if (!args.cache || !args.requests || args.versions.length === 0) {
		console.error('usage: node check.mjs --cache CACHE --requests FILE [--json OUT] [--route KEY] VERSION...');
		process.exit(2);
	}
	return args;
}

function* declarationFiles(dir) {
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) yield* declarationFiles(path);
		else if (name.endsWith('.d.ts')) yield path;
	}
}

/** The text of the `{...}` block that starts at `open`. */
function block(text, open) {
	let depth = 0;
	for (let i = open; i < text.length; i += 1) {
		if (text[i] === '{') depth += 1;
		else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
	}
	return text.slice(open);
}

/** `"GET route"` -> params type name, from the package's `Endpoints` declarations. */
function endpointParams(dist) {
	const params = new Map();
	const aliases = [];
	const entry = /'\/v1\/([^']+)':\s*(?:\{|\w+\['\/v1\/([^']+)'\])/g;
	for (const file of declarationFiles(dist)) {
		const text = readFileSync(file, 'utf8');
		for (const match of text.matchAll(entry)) {
			const [whole, route, target] = match;
			if (target) {
				aliases.push([route, target]);
				continue;
			}
			const body = block(text, match.index + whole.length - 1);
			for (const [, method, type] of body.matchAll(/\b(GET|POST|PUT|DELETE):\s*\(\s*params\??:\s*([A-Za-z0-9_]+)\s*\)/g)) {
				params.set(`${method} ${route}`, type);
			}
			for (const [, method] of body.matchAll(/\b(GET|POST|PUT|DELETE):\s*\(/g)) {
				if (!params.has(`${method} ${route}`)) params.set(`${method} ${route}`, null);
			}
		}
	}
	for (const [route, target] of aliases) {
		for (const [key, type] of [...params]) {
			const [method, other] = key.split(' ');
			if (other === target) params.set(`${method} ${route}`, type);
		}
	}
	return params;
}

/** `isXxx` -> the compiled module that exports it (only the modules needed are loaded: the
 * package's index compiles every schema it has, which takes seconds). */
function exportingModules(dist) {
	const modules = new Map();
	for (const file of declarationFiles(dist)) {
		for (const [, name] of readFileSync(file, 'utf8').matchAll(/export declare const (is[A-Za-z0-9_]+)\b/g)) {
			if (!modules.has(name)) modules.set(name, file.replace(/\.d\.ts$/, '.js'));
		}
	}
	return modules;
}

async function validatorFor(key, params, modules) {
	const type = params.get(key);
	const name = type && [`is${type}`, `is${type}Props`].find((candidate) => modules.has(candidate));
	if (NOT_APPLIED[key]) return { name: null, validate: null, note: NOT_APPLIED[key], ignored: name ?? null };
	if (!name) {
		const why = params.has(key) ? (type ? `no validator for ${type}` : 'params typed inline') : 'not in the package';
		return { name: null, validate: null, note: why };
	}
	const validate = (await import(pathToFileURL(modules.get(name)).href))[name];
	if (typeof validate !== 'function') throw new Error(`${modules.get(name)} does not export ${name}`);
	return { name, validate, note: null };
}

function describe(errors) {
	return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const requests = readFileSync(args.requests, 'utf8')
		.split('\n')
		.filter((line) => line.trim())
		.map((line) => JSON.parse(line));
	const keys = [...new Set([...requests.map((r) => `${r.method} ${r.route}`), ...args.routes])].sort();
	const results = {};
	for (const version of args.versions) {
		const root = resolve(args.cache, version, 'rest-typings');
		const params = endpointParams(join(root, 'dist'));
		const modules = exportingModules(join(root, 'dist'));
		const byKey = {};
		for (const key of keys) {
			const { name, validate, note, ignored } = await validatorFor(key, params, modules);
			const row = { validator: name, note, ignored, requests: 0, refused: 0, examples: [] };
			for (const request of requests) {
				if (`${request.method} ${request.route}` !== key) continue;
				row.requests += 1;
				if (!validate) continue;
				const data = structuredClone({ ...(request.query ?? {}), ...(request.body ?? {}) });
				if (!validate(data)) {
					row.refused += 1;
					if (row.examples.length < 3) row.examples.push({ query: request.query, body: request.body, errors: describe(validate.errors) });
				}
			}
			byKey[key] = row;
		}
		results[version] = byKey;
	}
	printTable(keys, args.versions, results);
	if (args.json) writeFileSync(args.json, `${JSON.stringify({ versions: args.versions, endpoints: keys, results }, null, 2)}\n`);
	const refused = Object.values(results).some((rows) => Object.values(rows).some((row) => row.refused > 0));
	process.exit(refused ? 1 : 0);
}

function printTable(keys, versions, results) {
	const cell = (row) => {
		if (!row.validator) return row.requests ? `no validator (${row.requests})` : 'no validator';
		if (!row.requests) return `${row.validator}, not called`;
		return row.refused ? `REFUSED ${row.refused}/${row.requests}` : `ok (${row.requests})`;
	};
	const names = (key) => [...new Set(versions.map((v) => results[v][key].validator ?? '-'))].join(' / ');
	const lines = [['endpoint', ...versions.map((v) => `rest-typings ${v}`), 'validator']];
	for (const key of keys) lines.push([key, ...versions.map((v) => cell(results[v][key])), names(key)]);
	const widths = lines[0].map((_, i) => Math.max(...lines.map((line) => line[i].length)));
	for (const line of lines) console.log(line.map((text, i) => text.padEnd(widths[i])).join('  ').trimEnd());
	for (const version of versions) {
		for (const key of keys) {
			const row = results[version][key];
			for (const example of row.examples) {
				console.log(`\n${version} ${key}: ${row.validator} refuses ${JSON.stringify({ ...example.query, ...example.body })}\n  ${example.errors}`);
			}
		}
	}
}

await main();
