/** The staff session cookie, as staff sets it (sign-in, sign-out) and the gateway reads it (services/api/session-auth.ts). */

export const SESSION_COOKIE = "clubhouse_session";

export function sessionCookie(token: string, secure: boolean): string {
	return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
	return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? "; Secure" : ""}`;
}
