// Module hooks that let Node load `@rocket.chat/rest-typings`'s dist/ as it is published: ES
// modules in `.js` files of a package that does not say `"type": "module"`, imported without
// their extensions (`from './v1/Ajv'`, `from 'ajv/dist/2020'`), as a bundler would resolve them.

export async function resolve(specifier, context, nextResolve) {
	try {
		return await nextResolve(specifier, context);
	} catch (error) {
		if (!['ERR_MODULE_NOT_FOUND', 'ERR_UNSUPPORTED_DIR_IMPORT'].includes(error.code) || /\.[cm]?js$/.test(specifier)) {
			throw error;
		}
		for (const suffix of ['.js', '/index.js']) {
			try {
				return await nextResolve(specifier + suffix, context);
			} catch {
				// try the next one
			}
		}
		throw error;
	}
}

export async function load(url, context, nextLoad) {
	if (url.includes('/rest-typings/dist/') && url.endsWith('.js')) {
		return nextLoad(url, { ...context, format: 'module' });
	}
	return nextLoad(url, context);
}
