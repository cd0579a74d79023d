// Fetch the server's request validators: `@rocket.chat/rest-typings` at each pinned version,
// with only the packages its compiled code loads, into a cache folder.
//
//   node tests/conformance/setup.mjs CACHE REST_VERSION=CORE_VERSION ...
//
// `npm install @rocket.chat/rest-typings` fails (its dependencies use yarn's workspace: and
// patch: protocols), so the package is `npm pack`ed and unpacked into CACHE/<version>/rest-typings,
// and `npm install` installs only what its dist/ imports: ajv and ajv-formats at the ranges
// rest-typings asks for, and `@rocket.chat/core-typings` (packed likewise, at CORE_VERSION: a
// few enums) with the packages its dist/ requires; peer dependencies are left out (typia's
// TypeScript: nothing here loads it). A version already in the cache is skipped.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const npm = (args, cwd) =>
	execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd,
		stdio: ['ignore', 'pipe', 'inherit'],
		encoding: 'utf8',
	});

/** `npm pack NAME@VERSION` unpacked into `into` (the tarball's `package/` folder). */
function unpack(spec, work, into) {
	const tarball = npm(['pack', spec, '--pack-destination', work, '--silent'], work).trim().split('\n').pop();
	mkdirSync(into, { recursive: true });
	execFileSync('tar', ['xzf', join(work, tarball), '-C', into, '--strip-components=1']);
	rmSync(join(work, tarball));
	return JSON.parse(readFileSync(join(into, 'package.json'), 'utf8'));
}

function* jsFiles(dir) {
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) yield* jsFiles(path);
		else if (name.endsWith('.js')) yield path;
	}
}

/** The packages a dist/ folder loads (`import ... from 'x'`, `require("x")`), by name. */
function importedPackages(dist) {
	const names = new Set();
	const pattern = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"]([^'"./][^'"]*)['"]/g;
	for (const file of jsFiles(dist)) {
		for (const [, specifier] of readFileSync(file, 'utf8').matchAll(pattern)) {
			const parts = specifier.split('/');
			names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
		}
	}
	return names;
}

/** A dependency's range as npm reads it: yarn's `patch:name@npm%3A1.2.3#...` is `1.2.3`. */
function npmRange(range) {
	const patched = /^patch:.*@npm%3A([^#]+)#/.exec(range);
	if (patched) return decodeURIComponent(patched[1]);
	if (/^(workspace|catalog|patch|portal|link|file):/.test(range)) {
		throw new Error(`cannot install a dependency given as ${range}`);
	}
	return range;
}

function dependenciesOf(pkg, names, into) {
	for (const name of names) {
		if (name === '@rocket.chat/core-typings' || into[name]) continue;
		const range = pkg.dependencies?.[name] ?? pkg.peerDependencies?.[name];
		if (!range) throw new Error(`${pkg.name}@${pkg.version} loads ${name}, which it does not declare`);
		into[name] = npmRange(range);
	}
	return into;
}

function setUp(cache, restVersion, coreVersion) {
	const done = join(cache, restVersion);
	if (existsSync(join(done, '.ready'))) return;
	const work = `${done}.part`;
	rmSync(work, { recursive: true, force: true });
	mkdirSync(work, { recursive: true });
	const rest = unpack(`@rocket.chat/rest-typings@${restVersion}`, work, join(work, 'rest-typings'));
	const core = join(work, 'core-typings');
	const corePkg = unpack(`@rocket.chat/core-typings@${coreVersion}`, work, core);
	const needs = dependenciesOf(rest, importedPackages(join(work, 'rest-typings', 'dist')), {});
	dependenciesOf(corePkg, importedPackages(join(core, 'dist')), needs);
	writeFileSync(
		join(work, 'package.json'),
		JSON.stringify({ private: true, description: `rest-typings ${restVersion}`, dependencies: needs }, null, 2),
	);
	npm(['install', '--ignore-scripts', '--no-package-lock', '--legacy-peer-deps'], work);
	// After the install, which would remove a package it did not put there.
	mkdirSync(join(work, 'node_modules', '@rocket.chat'), { recursive: true });
	renameSync(core, join(work, 'node_modules', '@rocket.chat', 'core-typings'));
	writeFileSync(join(work, '.ready'), `${JSON.stringify({ rest: restVersion, core: coreVersion, needs })}\n`);
	rmSync(done, { recursive: true, force: true });
	renameSync(work, done);
}

const [where, ...pins] = process.argv.slice(2);
if (!where || pins.length === 0) {
	console.error('usage: node setup.mjs CACHE REST_VERSION=CORE_VERSION ...');
	process.exit(2);
}
const cache = resolve(where);
mkdirSync(cache, { recursive: true });
for (const pin of pins) {
	const [restVersion, coreVersion = restVersion] = pin.split('=');
	try {
		setUp(cache, restVersion, coreVersion);
	} catch (error) {
		console.error(`@rocket.chat/rest-typings@${restVersion}: ${error.message}`);
		process.exit(1);
	}
}
