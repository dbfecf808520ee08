/**
 * Passwords and secrets of the staff service.
 *
 * Passwords: argon2id (@node-rs/argon2, prebuilt native binding) with OWASP's first
 * recommended setting, m = 19 MiB, t = 2, p = 1: memory-hard, so a stolen table costs an
 * attacker 19 MiB per guess in flight; 30-50 ms per hash or verification on one core here
 * (bench/staff prints the figure). The PHC string keeps its parameters, so raising them
 * later still verifies old hashes. Hashing runs on libuv's thread pool, not the event loop.
 *
 * Tokens (invitations, sessions): 32 bytes from crypto.randomBytes, base64url; stored only
 * as SHA-256 (lib/hash.ts sha256Hex; high entropy: a slow hash adds nothing), looked up by that hash.
 */
import crypto from "node:crypto";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

// Algorithm is a const enum (not there at run time under tsx): 2 is Algorithm.Argon2id.
const ARGON2 = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function hashPassword(password: string): Promise<string> {
	return hash(password, ARGON2);
}

/** Constant-time inside argon2's verify; a malformed stored hash is a mismatch, never a throw. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
	try {
		return await verify(stored, password);
	} catch {
		return false;
	}
}

let dummy: Promise<string> | null = null;

/**
 * Spends the time of one verification when there is no account to check, so an unknown
 * e-mail answers in the same time as a wrong password.
 */
export async function verifyNothing(password: string): Promise<false> {
	dummy = dummy ?? hashPassword(crypto.randomBytes(24).toString("base64url"));
	await verifyPassword(await dummy, password);
	return false;
}

/**
 * The common-password list shipped with zxcvbn-ts (@zxcvbn-ts/language-common, ~49,000
 * passwords seen in breaches, most frequent first), compared case-insensitively.
 */
let common: Set<string> | null = null;
export function isCommonPassword(password: string): boolean {
	common = common ?? new Set(dictionary["passwords-common"] as string[]);
	return common.has(password.toLowerCase());
}

export function newToken(): string {
	return crypto.randomBytes(32).toString("base64url");
}
