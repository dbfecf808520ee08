/**
 * No text with a NUL character reaches a service: Postgres cannot store it in text
 * columns (it would be a 500), and no real name, e-mail or note contains one. Every local
 * action's params are checked (REST and bus alike) → 422 naming the field.
 */
import type { Middleware } from "moleculer";
import { invalid } from "./errors";

const MAX_NODES = 100_000;

/** The path of the first string (key or value) holding U+0000, or null. */
export function findNul(value: unknown): string | null {
	if (typeof value === "string") return value.includes("\u0000") ? "(root)" : null;
	// Strings are checked where they sit; only containers go on the stack (with their path).
	const stack: Array<[unknown, string]> = [[value, ""]];
	let seen = 0;
	while (stack.length && seen++ < MAX_NODES) {
		const [v, path] = stack.pop()!;
		if (Array.isArray(v)) {
			for (let i = 0; i < v.length; i++) {
				const child = v[i];
				if (typeof child === "string") {
					if (child.includes("\u0000")) return `${path}[${i}]`;
				} else if (child && typeof child === "object") stack.push([child, `${path}[${i}]`]);
			}
		} else if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
			for (const k in v) {
				if (!Object.hasOwn(v, k)) continue;
				const child = (v as Record<string, unknown>)[k];
				if (k.includes("\u0000") || (typeof child === "string" && child.includes("\u0000"))) return path ? `${path}.${k}` : k;
				if (child && typeof child === "object") stack.push([child, path ? `${path}.${k}` : k]);
			}
		}
	}
	return null;
}

export const InputMiddleware: Middleware = {
	name: "Input",
	localAction(next: any, action: any) {
		if (String(action.name).startsWith("$")) return next;
		return function inputGuard(ctx: any) {
			const field = findNul(ctx.params);
			if (field) return Promise.reject(invalid({ field, type: "string", message: `The '${field}' must not contain NUL characters.` }));
			return next(ctx);
		};
	},
} as Middleware;
