/**
 * Who is signed in: the session routes of the API (POST/GET/DELETE /session). The browser
 * keeps only the HttpOnly session cookie; an API key typed at sign-in is sent once and never
 * stored anywhere.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, data, THROW } from "./api";
import { clubsGet, staffCurrentSession, staffSignIn, staffSignOut } from "../api/generated/sdk.gen";
import type { Club, Role } from "./types";

export interface Session {
	club: { id: string; name: string; [k: string]: unknown };
	role: Role;
	actor: { type: "staff" | "key"; id: string; name: string };
	expiresAt: string;
}

export type SignInBody = { email: string; password: string; club?: string } | { apiKey: string };

const SESSION = ["session"] as const;

/** Another person's data must not linger; the session query stays (the page observes it). */
function forgetAllButSession(qc: ReturnType<typeof useQueryClient>): void {
	qc.removeQueries({ predicate: q => q.queryKey[0] !== SESSION[0] });
}

async function readSession(): Promise<Session | null> {
	try {
		return (await data(staffCurrentSession(THROW))) as unknown as Session;
	} catch (err) {
		if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
		throw err;
	}
}

export function useSession() {
	return useQuery({ queryKey: SESSION, queryFn: readSession, staleTime: 60_000, retry: false });
}

export function useRole(): Role | null {
	return useSession().data?.role ?? null;
}

const RANK: Record<Role, number> = { viewer: 1, staff: 2, admin: 3 };
/** Whether the signed-in role may do what needs `role` (hides write buttons from viewers). */
export function useCan(role: Role): boolean {
	const mine = useRole();
	return mine != null && RANK[mine] >= RANK[role];
}

export function useClub(): Club | undefined {
	const signedIn = !!useSession().data;
	return useQuery({ queryKey: ["club"], queryFn: () => data(clubsGet(THROW)) as Promise<Club>, enabled: signedIn, staleTime: 5 * 60_000 }).data;
}

export function useSignIn() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: async (body: SignInBody) => (await data(staffSignIn({ body, ...THROW }))) as unknown as Session,
		onSuccess: session => {
			forgetAllButSession(qc);
			qc.setQueryData(SESSION, session);
		},
	});
}

export function useSignOut() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: () => staffSignOut(THROW),
		onSettled: () => {
			forgetAllButSession(qc);
			qc.setQueryData(SESSION, null);
		},
	});
}
